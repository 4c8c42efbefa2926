// Package svc builds the Footprint services and runs them as subprocesses
// with their configuration in the environment, the way an operator runs them,
// and measures what each process uses from /proc.
package svc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/footprint/footprint/internal/procstat"
	"github.com/footprint/footprint/internal/testenv"
)

// Service names, which are also the folders under services/.
const (
	Collector = "collector"
	PGWriter  = "pg-writer"
	CHWriter  = "ch-writer"
	// Echo is the bench's bare gRPC echo server (bench/cmd/footprint-echo).
	Echo = "footprint-echo"
)

// ErrNotBuilt is returned when a service has no main package yet.
var ErrNotBuilt = errors.New("service has no main package")

// Build compiles services/<name> of repoRoot into binDir and returns the
// binary path. It builds in workspace mode (go.work at the root), like
// `make build`.
func Build(ctx context.Context, repoRoot, binDir, name string) (string, error) {
	return BuildDir(ctx, filepath.Join(repoRoot, "services", name), binDir, name)
}

// BuildDir compiles the main package in or under dir (the shortest import
// path) into binDir/name and returns the binary path.
func BuildDir(ctx context.Context, dir, binDir, name string) (string, error) {
	list := exec.CommandContext(ctx, "go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "./...")
	list.Dir = dir
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("list packages of %s: %w", name, err)
	}
	var mainPkg string
	for _, l := range strings.Fields(string(out)) {
		// A service's own main is its module root or a cmd/ folder; examples
		// and tools would come later in the list order.
		if mainPkg == "" || len(l) < len(mainPkg) {
			mainPkg = l
		}
	}
	if mainPkg == "" {
		return "", fmt.Errorf("%s: %w", name, ErrNotBuilt)
	}
	bin := filepath.Join(binDir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, mainPkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return bin, nil
}

// Process is a running service: a testenv.Process (start, readiness, stop,
// log) plus the CPU and memory accounting the report needs.
type Process struct {
	*testenv.Process
	startCPU  float64
	startTime time.Time
}

// Start runs bin with env added to the bench's own environment (minus any
// FOOTPRINT_* variables, so a developer's shell cannot change the setup),
// logging to logDir/<name>.log, and waits until its /readyz answers 200.
func Start(ctx context.Context, name, bin string, env map[string]string, logDir string, logger *slog.Logger) (*Process, error) {
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FOOTPRINT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Own process group: a Ctrl-C of the bench reaches us first, and we stop
	// the service cleanly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logPath := filepath.Join(logDir, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log")
	tp, err := testenv.StartProcess(name, cmd, env["FOOTPRINT_ADMIN_ADDR"], logPath)
	if err != nil {
		return nil, err
	}
	p := &Process{Process: tp, startTime: time.Now()}
	logger.Debug("started service", "name", name, "pid", p.Pid(), "log", logPath)
	if err := p.WaitReady(ctx, 60*time.Second); err != nil {
		_ = p.Stop(5 * time.Second)
		return nil, fmt.Errorf("%s not ready: %w (log tail: %s)", name, err, p.LogTail(1500))
	}
	return p, nil
}

// Mark remembers the CPU time used so far, so Since reports one phase.
func (p *Process) Mark() {
	if u, err := procstat.Read(p.Pid()); err == nil {
		p.startCPU = u.CPUSeconds
	}
	p.startTime = time.Now()
}

// Since returns the usage since the last Mark (CPU) and the peak RSS since
// start, plus the wall time since Mark.
func (p *Process) Since() (procstat.Usage, time.Duration, error) {
	u, err := procstat.Read(p.Pid())
	if err != nil {
		return u, 0, err
	}
	u.CPUSeconds -= p.startCPU
	return u, time.Since(p.startTime), nil
}

// Metric scrapes /metrics and returns the sum of all samples of the metric
// family name (all label sets), and whether any sample was found.
func (p *Process) Metric(ctx context.Context, name string) (float64, bool, error) {
	text, err := p.Scrape(ctx)
	if err != nil {
		return 0, false, err
	}
	return SumMetric(text, name)
}

// SumMetric sums the samples of one metric in Prometheus text format.
func SumMetric(text, name string) (float64, bool, error) {
	var sum float64
	found := false
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		// With labels the value is the field after the closing brace.
		val := f[len(f)-1]
		if j := strings.LastIndexByte(line, '}'); j >= 0 {
			vf := strings.Fields(line[j+1:])
			if len(vf) == 0 {
				continue
			}
			val = vf[0]
		} else {
			val = f[1]
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return 0, false, fmt.Errorf("parse %q: %w", line, err)
		}
		sum += v
		found = true
	}
	return sum, found, nil
}

// Profile fetches a CPU profile of the given length from the admin port's
// /debug/pprof/profile into path.
func (p *Process) Profile(ctx context.Context, seconds int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.AdminAddr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("profile request: %w", err)
	}
	resp, err := (&http.Client{Timeout: time.Duration(seconds+30) * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("fetch profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create profile file: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close profile: %w", err)
	}
	return nil
}

// Infra names the stack's server processes whose CPU the report shows next
// to the services', so a reader sees where the machine's time went.
var Infra = []struct {
	Name string
	// Comm is the process name in /proc/<pid>/comm; Cmdline, when set,
	// must appear in /proc/<pid>/cmdline too.
	Comm, Cmdline string
}{
	{Name: "Kafka broker", Comm: "java", Cmdline: "kafka.Kafka"},
	{Name: "PostgreSQL (all processes)", Comm: "postgres"},
	{Name: "ClickHouse server", Comm: "clickhouse-serv"},
}

// InfraUsage sums the CPU seconds of every live process of each Infra
// entry, including the reaped children of each (cutime+cstime: PostgreSQL
// backends that exited), and the largest single-process VmHWM.
func InfraUsage() map[string]procstat.Usage {
	out := map[string]procstat.Usage{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		for _, in := range Infra {
			if strings.TrimSpace(string(comm)) != in.Comm {
				continue
			}
			if in.Cmdline != "" {
				cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				if err != nil || !bytes.Contains(cl, []byte(in.Cmdline)) {
					continue
				}
			}
			u, err := procstat.Read(pid)
			if err != nil {
				continue
			}
			acc := out[in.Name]
			acc.CPUSeconds += u.CPUSeconds + u.ChildCPUSeconds
			acc.PeakRSSMB = max(acc.PeakRSSMB, u.PeakRSSMB)
			out[in.Name] = acc
		}
	}
	return out
}
