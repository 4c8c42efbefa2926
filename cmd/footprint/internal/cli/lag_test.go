package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/testenv"
)

// buildWriter builds the pg-writer binary from the working tree.
func buildWriter(t *testing.T) string {
	t.Helper()
	return buildService(t, "pg-writer")
}

// buildService builds services/<name> from the working tree.
func buildService(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal(errors.New("go.work not found above the working directory"))
		}
		dir = filepath.Dir(dir)
	}
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(dir, "services", name)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, b)
	}
	return out
}

// startWriterBinary runs pg-writer on the fixture's topic and database in group.
func (f *fixture) startWriterBinary(t *testing.T, bin, group string, env ...string) *testenv.Process {
	t.Helper()
	return f.startService(t, "pg-writer", bin, append([]string{"FOOTPRINT_WRITER_GROUP=" + group, "FOOTPRINT_PG_URL=" + f.pgURL}, env...)...)
}

// startService runs a writer binary on the fixture's topics with env added
// and waits until it is ready.
func (f *fixture) startService(t *testing.T, name, bin string, env ...string) *testenv.Process {
	t.Helper()
	admin := testenv.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FOOTPRINT_KAFKA_BROKERS="+f.brokers, "FOOTPRINT_KAFKA_TOPIC="+f.topic,
		"FOOTPRINT_KAFKA_DLQ_TOPIC="+f.dlq, "FOOTPRINT_ERASURE_TOPIC="+f.erasures,
		"FOOTPRINT_WRITER_BATCH_MAX_WAIT=50ms", "FOOTPRINT_ADMIN_ADDR="+admin)
	cmd.Env = append(cmd.Env, env...)
	p := testenv.StartTestProcess(t, name, cmd, admin)
	if err := p.WaitReady(context.Background(), time.Minute); err != nil {
		t.Fatalf("%s not ready: %v\n%s", name, err, p.LogTail(4000))
	}
	return p
}

type lagReport struct {
	Groups []struct {
		Group            string  `json:"group"`
		Lag              int64   `json:"lag"`
		OldestAgeSeconds float64 `json:"oldest_age_seconds"`
		Partitions       []struct {
			Partition int32 `json:"partition"`
			Lag       int64 `json:"lag"`
		} `json:"partitions"`
	} `json:"groups"`
}

// lagOf returns `footprint lag --json --group group`'s numbers for group.
func (f *fixture) lagOf(t *testing.T, group string) (lag int64, age float64, partitions int) {
	t.Helper()
	code, out, _ := f.runQuiet(t, "lag", "--json", "--group", group)
	if code != 0 {
		t.Fatalf("lag --json: exit %d", code)
	}
	var rep lagReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("lag --json output: %v\n%s", err, out)
	}
	for _, g := range rep.Groups {
		if g.Group == group {
			var sum int64
			for _, p := range g.Partitions {
				sum += p.Lag
			}
			if sum != g.Lag {
				t.Fatalf("group %s: total lag %d, partitions sum to %d", group, g.Lag, sum)
			}
			return g.Lag, g.OldestAgeSeconds, len(g.Partitions)
		}
	}
	t.Fatalf("lag --json has no group %s:\n%s", group, out)
	return 0, 0, 0
}

// While the writer is stopped, lag counts the messages produced since and
// the age of the oldest one grows; after the writer restarts and catches
// up, both are zero.
func TestLagWhileWriterStoppedAndAfterCatchUp(t *testing.T) {
	f := newFixture(t)
	bin := buildWriter(t)
	group := testenv.UniqueName("pg_writer")
	w := f.startWriterBinary(t, bin, group)
	f.produce(t, f.events(30, day())...)
	waitFor(t, "the writer to catch up", time.Minute, func() bool { lag, _, _ := f.lagOf(t, group); return lag == 0 })
	if err := w.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop writer: %v", err)
	}

	producing := time.Now()
	f.produce(t, f.events(12, day())...)
	produced := time.Now()
	// The command reads its clock during the call, so the age of one of the
	// 12 messages lies between the time since produce returned, taken before
	// the call, and the time since it began, taken after the call, however
	// long the call takes on a loaded machine.
	waitUntil(t, "the oldest unwritten message to age", time.Minute, func() (bool, string) {
		atLeast := time.Since(produced).Seconds()
		lag, age, _ := f.lagOf(t, group)
		atMost := time.Since(producing).Seconds() + 0.001 // Kafka timestamps are whole milliseconds
		state := fmt.Sprintf("lag %d, oldest %.3fs, want it in [%.3fs, %.3fs] and at least 1s", lag, age, atLeast, atMost)
		return age >= atLeast && age <= atMost && age >= 1, state
	})
	lag, age, parts := f.lagOf(t, group)
	if lag != 12 || parts != 3 || age < 1 {
		t.Fatalf("writer stopped: lag %d over %d partitions, oldest %.1fs; want 12 over 3, at least 1s", lag, parts, age)
	}
	code, out, _ := f.run(t, "lag", "--group", group)
	if code != 0 || !contains(out, group, "total", "12") {
		t.Fatalf("lag text: exit %d", code)
	}

	f.startWriterBinary(t, bin, group)
	waitFor(t, "the restarted writer to catch up", time.Minute, func() bool { lag, _, _ := f.lagOf(t, group); return lag == 0 })
	if lag, age, _ := f.lagOf(t, group); lag != 0 || age != 0 {
		t.Fatalf("after catching up: lag %d, oldest %.1fs; want 0 and 0", lag, age)
	}
	if pg, _ := f.counts(t); pg != 42 {
		t.Fatalf("postgres holds %d events, want 42", pg)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
