package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/bench/internal/stats"
)

func sample() *Report {
	r := &Report{Mode: "quick", Command: "footprint-bench --quick", Started: time.Unix(0, 0), Setup: Setup{CPUModel: "Test CPU", Cores: 2, BatchSizes: []int{1, 100}}}
	s1 := Scenario{ID: "1", Title: "Collector ingest", Status: StatusOK, WallSeconds: 12.4}
	s1.Measurements = []Measurement{
		NewMeasurement("collector unary b100", KindFootprint, "events/s", 8000, time.Second),
		NewMeasurement("raw producer", KindBaseline, "events/s", 10000, time.Second),
		NewMeasurement("per-message pg", KindBaseline, "rows/s", 50, time.Second),
	}
	r.Scenarios = append(r.Scenarios, s1)
	s := &r.Scenarios[0]
	r.AddRatio(s, "collector unary b100 / raw producer", "collector unary b100", "raw producer", 0.8)
	r.AddRatio(s, "vs per-message", "collector unary b100", "per-message pg", 300)
	r.AddRatio(s, "missing baseline", "collector unary b100", "nope", 0.8)
	met := true
	s.Latencies = []Latency{{Name: "e2e", Store: "postgres", LoadPercent: 50, TargetRate: 1000, AchievedRate: 990,
		Latency: stats.Summarise([]time.Duration{time.Second}), TargetP99Ms: 2000, Met: &met}}
	s.Resources = []Resource{{Phase: "ingest", Process: "collector", PeakRSSMB: 50, CPUSeconds: 1, WallSecond: 2}}
	r.Scenarios = append(r.Scenarios, Scenario{ID: "2", Title: "pg-writer", Status: StatusSkipped, Error: "service not built"})
	r.Setup.Repeats = 3
	yes, no := true, false
	r.Targets = []Target{
		{ID: "collector-100", Target: "collector batch 100 >= 60% of raw producer", Measured: "0.80 (80%)", Met: &yes},
		{ID: "e2e-rate", Target: "end to end >= 40,000 events/s", Measured: "n/a", Reason: "not measured: scenario 4 failed"},
		{ID: "rss-collector", Target: "collector <= 150 MB", Measured: "200 MB", Met: &no},
	}
	return r
}

func TestRatiosAndTargets(t *testing.T) {
	r := sample()
	ra := r.Scenarios[0].Ratios
	if ra[0].Value == nil || *ra[0].Value != 0.8 || ra[0].Met == nil || !*ra[0].Met {
		t.Errorf("ratio 0: %+v", ra[0])
	}
	if ra[1].Value == nil || *ra[1].Value != 160 || ra[1].Met == nil || *ra[1].Met {
		t.Errorf("ratio 1: %+v", ra[1])
	}
	if ra[2].Value != nil || ra[2].Met != nil {
		t.Errorf("ratio against a missing baseline must be n/a: %+v", ra[2])
	}
}

func TestMarkdown(t *testing.T) {
	md := sample().Markdown()
	for _, want := range []string{
		"| CPU | Test CPU, 2 cores",
		"| collector unary b100 | footprint | 1 | 8,000 events/s | 8,000 | 8,000 | 8000 | 1.00 |",
		"| repeats | 3, interleaved",
		"## 1. Collector ingest\n\nWall time 12 s.",
		"| collector-100 | collector batch 100 >= 60% of raw producer | 0.80 (80%) | met | - |",
		"| e2e-rate | end to end >= 40,000 events/s | n/a | **not measured** | not measured: scenario 4 failed |",
		"| rss-collector | collector <= 150 MB | 200 MB | **not met** | - |",
		"| collector unary b100 / raw producer | collector unary b100 / raw producer | 0.80 (80%) | >= 80% | yes |",
		"| vs per-message | collector unary b100 / per-message pg | 160x | >= 300x | **no** |",
		"| missing baseline | collector unary b100 / nope | n/a | >= 80% | - |",
		"| e2e | postgres | 50% | 1,000/s | 990/s | 1 | 1000 | 1000 | 1000 | 1000 | - | <= 2000 ms | yes |",
		"| ingest | collector | 1 | 50 | 1.00 | 2.00 | 0.50 |",
		"## 2. pg-writer\n\n**skipped**: service not built",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	if err := sample().Write(dir); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Scenarios) != 2 || back.Scenarios[0].Ratios[2].Value != nil {
		t.Errorf("json round trip: %+v", back.Scenarios)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "latest.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 500 {
		t.Errorf("png too small: %v", img.Bounds())
	}
	if _, err := os.Stat(filepath.Join(dir, "latest.md")); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyReportRenders(t *testing.T) {
	if err := (&Report{}).Write(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

func TestAggregateMedianOfRuns(t *testing.T) {
	m := Aggregate("x", KindFootprint, "events/s", []Run{
		NewRun(300, time.Second), NewRun(100, time.Second), NewRun(400, 2*time.Second),
	})
	if m.Rate != 200 || m.MinRate != 100 || m.MaxRate != 300 {
		t.Errorf("median/min/max = %v/%v/%v, want 200/100/300", m.Rate, m.MinRate, m.MaxRate)
	}
	if m.Count != 400 || m.Seconds != 2 {
		t.Errorf("median run = %d in %v s, want the third run (400 in 2 s)", m.Count, m.Seconds)
	}
}

func TestRatioUsesMedians(t *testing.T) {
	r := &Report{}
	s := Scenario{Measurements: []Measurement{
		Aggregate("cand", KindFootprint, "events/s", []Run{NewRun(90, time.Second), NewRun(10, time.Second), NewRun(50, time.Second)}),
		Aggregate("base", KindBaseline, "events/s", []Run{NewRun(100, time.Second), NewRun(1000, time.Second), NewRun(200, time.Second)}),
	}}
	r.Scenarios = []Scenario{s}
	r.AddRatio(&r.Scenarios[0], "c/b", "cand", "base", 0)
	if v := r.Scenarios[0].Ratios[0].Value; v == nil || *v != 0.25 {
		t.Errorf("ratio = %v, want 50/200 = 0.25", v)
	}
}

func TestMergeResources(t *testing.T) {
	got := MergeResources([]Resource{
		{Phase: "a", Process: "p", PeakRSSMB: 100, CPUSeconds: 1, WallSecond: 2},
		{Phase: "b", Process: "p", PeakRSSMB: 10, CPUSeconds: 1, WallSecond: 1},
		{Phase: "a", Process: "p", PeakRSSMB: 300, CPUSeconds: 3, WallSecond: 2},
		{Phase: "a", Process: "p", PeakRSSMB: 200, CPUSeconds: 2, WallSecond: 2},
	})
	want := []Resource{
		{Phase: "a", Process: "p", PeakRSSMB: 300, CPUSeconds: 6, WallSecond: 6, Runs: 3},
		{Phase: "b", Process: "p", PeakRSSMB: 10, CPUSeconds: 1, WallSecond: 1, Runs: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if peak, ok := PeakRSS([]Resource{{Phase: "a", Process: "p", PeakRSSMB: 5}, {Phase: "a", Process: "p", PeakRSSMB: 7}}, "a", "p"); !ok || peak != 7 {
		t.Errorf("PeakRSS = %v, %v, want 7, true", peak, ok)
	}
}

func TestMergeLatencies(t *testing.T) {
	run := func(store string, p99 float64, missing int) Latency {
		return Latency{Store: store, LoadPercent: 50, TargetP99Ms: 1000, Latency: stats.Latency{Count: 10, P99Ms: p99}, Missing: missing}
	}
	got := MergeLatencies([]Latency{run("pg", 900, 0), run("ch", 100, 0), run("pg", 1200, 0), run("ch", 300, 1), run("pg", 800, 0), run("ch", 200, 0)})
	if len(got) != 2 || got[0].Store != "pg" || got[1].Store != "ch" {
		t.Fatalf("groups: %+v", got)
	}
	if got[0].Latency.P99Ms != 900 || len(got[0].P99Runs) != 3 || got[0].Met == nil || !*got[0].Met {
		t.Errorf("pg: median p99 900 and met, got %+v", got[0])
	}
	if got[1].Latency.P99Ms != 200 || got[1].Missing != 1 || got[1].Met == nil || *got[1].Met {
		t.Errorf("ch: a missing marker fails the target, got %+v", got[1])
	}
}

func TestApplyReasons(t *testing.T) {
	r := sample()
	err := r.ApplyReasons("# comment\n\nrss-collector: the broker shares the cores\nnope: x\n")
	if !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("unknown id: err = %v", err)
	}
	if r.Targets[2].Reason != "the broker shares the cores" {
		t.Errorf("reason not applied: %+v", r.Targets[2])
	}
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Read(filepath.Join(dir, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Targets[2].Reason != "the broker shares the cores" || !strings.Contains(back.Markdown(), "the broker shares the cores |") {
		t.Errorf("reason lost in the round trip: %+v", back.Targets)
	}
}
