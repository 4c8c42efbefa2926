package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is a service running as a child process: a built binary, or the
// test binary re-executed as one. Its output goes to a log file. Tests, e2e
// and the benchmark start, probe and stop services only through it.
type Process struct {
	// Name identifies the process in errors and logs.
	Name string
	// AdminAddr is its admin server (/readyz, /metrics); may be empty.
	AdminAddr string
	cmd       *exec.Cmd
	logPath   string
	done      chan struct{}
	waitErr   error
}

// StartProcess starts cmd (its Env already set) with its output appended
// to logPath.
func StartProcess(name string, cmd *exec.Cmd, adminAddr, logPath string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log file of %s: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, AdminAddr: adminAddr, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// StartTestProcess is StartProcess for a test: the log lives in the test's
// temporary folder, and when the test ends the process is stopped (SIGTERM,
// then SIGKILL after 30 s) and, if the test failed, its log tail printed.
func StartTestProcess(t testing.TB, name string, cmd *exec.Cmd, adminAddr string) *Process {
	t.Helper()
	p, err := StartProcess(name, cmd, adminAddr, filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(30 * time.Second); errors.Is(err, ErrStopTimeout) {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			t.Logf("---- %s log (tail) ----\n%s", p.Name, p.LogTail(16000))
		}
	})
	return p
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitErr is the process's exit error (nil for status 0); valid once Exited.
func (p *Process) ExitErr() error {
	if !p.Exited() {
		return nil
	}
	return p.waitErr
}

// ErrStopTimeout is returned by Stop when SIGTERM did not end the process.
var ErrStopTimeout = errors.New("did not stop after SIGTERM")

// Stop sends SIGTERM and waits up to grace, then kills. It returns the exit
// error (nil for status 0) or ErrStopTimeout.
func (p *Process) Stop(grace time.Duration) error {
	if !p.Exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s %w within %s", p.Name, ErrStopTimeout, grace)
	}
}

// Kill ends the process abruptly (SIGKILL, as a crash or an OOM kill would)
// and waits for it.
func (p *Process) Kill() {
	if !p.Exited() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// Logs returns everything the process wrote so far.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// LogTail returns the last n bytes of the log.
func (p *Process) LogTail(n int) string {
	s := p.Logs()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}

// pollInterval is how often WaitHTTP asks again.
const pollInterval = 100 * time.Millisecond

// WaitHTTP polls url until it answers 200; it gives up at timeout, when ctx
// ends or when the process exits first.
func (p *Process) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		if p.Exited() {
			return fmt.Errorf("%s exited before %s answered: %v", p.Name, url, p.waitErr)
		}
		code, err := getStatus(ctx, client, url)
		if code == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("status %d, err %v", code, err)
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s not ready within %s (last: %s)", p.Name, url, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
		case <-time.After(pollInterval):
		}
	}
}

// WaitReady waits until the admin server's /readyz answers 200.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration) error {
	return p.WaitHTTP(ctx, "http://"+p.AdminAddr+"/readyz", timeout)
}

// Readyz returns the /readyz status code (0 when unreachable).
func (p *Process) Readyz(ctx context.Context) int {
	code, _ := getStatus(ctx, &http.Client{Timeout: 3 * time.Second}, "http://"+p.AdminAddr+"/readyz")
	return code
}

func getStatus(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Scrape returns the admin server's /metrics text.
func (p *Process) Scrape(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.AdminAddr+"/metrics", nil)
	if err != nil {
		return "", fmt.Errorf("metrics request: %w", err)
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("scrape %s metrics: %w", p.Name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read %s metrics: %w", p.Name, err)
	}
	return string(b), nil
}

// Metric returns the value of one series, written as in the exposition
// format (`name` or `name{label="value"}`), and whether it is there.
func (p *Process) Metric(ctx context.Context, series string) (float64, bool) {
	text, err := p.Scrape(ctx)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			return v, err == nil
		}
	}
	return 0, false
}
