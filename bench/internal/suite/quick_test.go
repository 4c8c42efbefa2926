package suite

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/internal/testenv"
)

// TestQuickRun runs the whole suite in --quick mode against the real stack
// and the services built from this repository, and checks that the three
// result files hold every scenario and every ratio. It asserts no timing.
func TestQuickRun(t *testing.T) {
	cfg := QuickConfig()
	cfg.Command = "go test (TestQuickRun)"
	rep := runQuick(t, &cfg)
	if err := rep.Write(cfg.Out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"latest.md", "latest.json", "latest.png"} {
		st, err := os.Stat(filepath.Join(cfg.Out, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() == 0 {
			t.Errorf("%s is empty", f)
		}
	}
	raw, err := os.ReadFile(filepath.Join(cfg.Out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(cfg.Out, "latest.md"))
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, cfg, &back, string(md))
}

// TestQuickRunOneScenario runs only the end-to-end scenario: its topic is
// pre-filled without scenario 1 (its per-message baselines read it), and
// the report holds that scenario, the resources and nothing else.
func TestQuickRunOneScenario(t *testing.T) {
	cfg := QuickConfig()
	cfg.Scenarios = []string{"4"}
	rep := runQuick(t, &cfg)
	var ids []string
	for _, s := range rep.Scenarios {
		ids = append(ids, s.ID)
		if s.Status != report.StatusOK {
			t.Errorf("scenario %s: %s: %s", s.ID, s.Status, s.Error)
		}
		if s.ID != "4" {
			continue
		}
		if len(s.Ratios) != 2 || s.Ratios[0].Value == nil || s.Ratios[1].Value == nil {
			t.Errorf("end-to-end ratios %+v, want both per-message ratios measured", s.Ratios)
		}
		if !slices.ContainsFunc(s.Notes, func(n string) bool { return strings.HasPrefix(n, "CPU per acknowledged event") }) {
			t.Error("no CPU-per-event note")
		}
	}
	if got := strings.Join(ids, ","); got != "4,5" {
		t.Errorf("scenarios %s, want 4,5", got)
	}
}

// runQuick runs the suite with cfg (its Out set to a temporary directory)
// against the real stack and the services built from this repository.
func runQuick(t *testing.T, cfg *Config) *report.Report {
	t.Helper()
	testenv.KafkaBrokers(t)
	testenv.PostgresAdminURL(t)
	testenv.ClickHouseAddr(t)
	if testing.Short() {
		t.Skip("builds and runs every service: not in -short")
	}
	cfg.Out = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := Run(ctx, *cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkComplete asserts every scenario ran and every ratio and latency has
// a value.
func checkComplete(t *testing.T, cfg Config, rep *report.Report, md string) {
	t.Helper()
	want := map[string]bool{"1": false, "2": false, "3": false, "4": false, "5": false}
	for _, s := range rep.Scenarios {
		want[s.ID] = true
		if s.Status != report.StatusOK {
			t.Errorf("scenario %s (%s): %s: %s", s.ID, s.Title, s.Status, s.Error)
		}
		if !strings.Contains(md, "## "+s.ID+". ") {
			t.Errorf("latest.md lacks scenario %s", s.ID)
		}
		for _, r := range s.Ratios {
			if r.Value == nil {
				t.Errorf("scenario %s: ratio %q has no value", s.ID, r.Name)
			}
		}
		for _, l := range s.Latencies {
			if l.Latency.Count == 0 {
				t.Errorf("scenario %s: no latency samples for %s at %d%%", s.ID, l.Store, l.LoadPercent)
			}
		}
	}
	for id, seen := range want {
		if !seen {
			t.Errorf("scenario %s missing", id)
		}
	}
	ratios := map[string]bool{}
	for _, s := range rep.Scenarios {
		for _, r := range s.Ratios {
			ratios[r.Name] = true
		}
	}
	wantRatios := []string{
		"pg-writer / raw COPY", "ch-writer / raw native insert",
		"end to end / per-message baseline, full row", "end to end / per-message baseline, link row",
		variant{batch: 1, clients: cfg.UnaryClients}.name() + " / echo server",
	}
	for _, v := range cfg.variants() {
		wantRatios = append(wantRatios, v.name()+" / raw producer")
	}
	for _, name := range wantRatios {
		if !ratios[name] {
			t.Errorf("ratio %q missing", name)
		}
	}
	if len(rep.Targets) != 15 {
		t.Errorf("%d target lines, want 15", len(rep.Targets))
	}
	for _, tg := range rep.Targets {
		if tg.Met == nil {
			t.Errorf("target %s not measured: %s", tg.ID, tg.Reason)
		}
		if !strings.Contains(md, "| "+tg.ID+" | ") {
			t.Errorf("latest.md lacks target %s", tg.ID)
		}
	}
	lat := 0
	for _, s := range rep.Scenarios {
		lat += len(s.Latencies)
	}
	if lat != 4 {
		t.Errorf("%d latency rows, want 4 (two stores at 50%% and 90%%)", lat)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{DefaultConfig(), QuickConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Mode, err)
		}
	}
	bad := QuickConfig()
	bad.Events = 10
	bad.BatchSizes = []int{0}
	bad.Clients = 0
	bad.Repeats = 0
	bad.Scenarios = []string{"4", "5"}
	err := bad.Validate()
	for _, want := range []error{ErrEvents, ErrBatchSizes, ErrClients, ErrRepeats, ErrScenarios} {
		if !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want %v", err, want)
		}
	}
}
