package report

import (
	"bytes"
	"encoding/json"
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
	s1 := Scenario{ID: "1", Title: "Collector ingest", Status: StatusOK}
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
		"| collector unary b100 | footprint | 8000 | 1.00 | 8,000 events/s |",
		"| collector unary b100 / raw producer | collector unary b100 / raw producer | 0.80 (80%) | >= 80% | yes |",
		"| vs per-message | collector unary b100 / per-message pg | 160x | >= 300x | **no** |",
		"| missing baseline | collector unary b100 / nope | n/a | >= 80% | - |",
		"| e2e | postgres | 50% | 1,000/s | 990/s | 1 | 1000 | 1000 | 1000 | 1000 | <= 2000 ms | yes |",
		"| ingest | collector | 50 | 1.00 | 2.00 | 0.50 |",
		"## 2. pg-writer\n\n**skipped**: service not built",
		"| postgres p99 <= 2000 ms at 50% load | 1000 ms | yes |",
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
