package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A shell that logs, serves nothing itself and exits 0 on SIGTERM; the
// admin endpoints are an httptest server standing in for the service's.
func TestProcessLifecycle(t *testing.T) {
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprint(w, "# TYPE x counter\nx_total{writer=\"a\"} 3\nx_total 7\n")
		}
	}))
	defer admin.Close()
	addr := strings.TrimPrefix(admin.URL, "http://")
	cmd := exec.Command("/bin/sh", "-c", `trap 'echo stopping; exit 0' TERM; echo started; while true; do sleep 0.05; done`)
	p := StartTestProcess(t, "shell", cmd, addr)
	ctx := context.Background()
	if err := p.WaitReady(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if code := p.Readyz(ctx); code != http.StatusOK {
		t.Fatalf("readyz %d", code)
	}
	if v, ok := p.Metric(ctx, `x_total{writer="a"}`); !ok || v != 3 {
		t.Fatalf("labelled series = %v %v", v, ok)
	}
	if v, ok := p.Metric(ctx, "x_total"); !ok || v != 7 {
		t.Fatalf("unlabelled series = %v %v", v, ok)
	}
	waitLog(t, p, "started") // the trap is set
	if err := p.Stop(10 * time.Second); err != nil || !p.Exited() {
		t.Fatalf("SIGTERM: %v (exited %v)", err, p.Exited())
	}
	if !strings.Contains(p.Logs(), "stopping") {
		t.Fatalf("log %q lacks the shell's SIGTERM line", p.Logs())
	}
}

// A process that ignores SIGTERM is killed after the grace period; one that
// exits early fails WaitHTTP at once.
func TestProcessStopTimeoutAndEarlyExit(t *testing.T) {
	stubborn := StartTestProcess(t, "stubborn", exec.Command("/bin/sh", "-c", `trap '' TERM; echo ignoring; while true; do sleep 0.05; done`), "")
	waitLog(t, stubborn, "ignoring")
	if err := stubborn.Stop(300 * time.Millisecond); !errors.Is(err, ErrStopTimeout) || !stubborn.Exited() {
		t.Fatalf("Stop = %v (exited %v), want ErrStopTimeout and a killed process", err, stubborn.Exited())
	}
	quitter := StartTestProcess(t, "quitter", exec.Command("/bin/sh", "-c", "exit 3"), FreeAddr(t))
	if err := quitter.WaitReady(context.Background(), 30*time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("WaitReady of an exited process = %v", err)
	}
	if quitter.ExitErr() == nil {
		t.Fatal("exit status 3 not reported")
	}
}

// waitLog polls p's log until it holds line.
func waitLog(t *testing.T, p *Process, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Logs(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q: %q", p.Name, line, p.Logs())
		}
		time.Sleep(20 * time.Millisecond) // polling the log file
	}
}
