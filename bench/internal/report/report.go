// Package report holds the benchmark results and writes them as
// latest.md (tables for people), latest.json (for tools) and latest.png
// (a throughput and latency plot).
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/footprint/footprint/bench/internal/stats"
)

// Scenario statuses.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
	StatusFailed  = "failed"
)

// Measurement kinds.
const (
	KindFootprint = "footprint"
	KindBaseline  = "baseline"
)

// Report is one run of the suite.
type Report struct {
	Mode        string     `json:"mode"`
	Command     string     `json:"command"`
	Started     time.Time  `json:"started"`
	WallSeconds float64    `json:"wall_seconds"`
	Setup       Setup      `json:"setup"`
	Scenarios   []Scenario `json:"scenarios"`
	// Targets are issue 15's targets, each met or not, with a reason.
	Targets []Target `json:"targets,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// Target is one line of the targets table.
type Target struct {
	// ID names the target for --reasons (e.g. "collector-1000").
	ID       string `json:"id"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	// Met is nil when the measurement is missing.
	Met    *bool  `json:"met"`
	Reason string `json:"reason,omitempty"`
}

// Setup describes the machine and the configuration of the run.
type Setup struct {
	CPUModel          string  `json:"cpu_model"`
	Cores             int     `json:"cores"`
	LoadAvgAtStart    string  `json:"load_avg_at_start"`
	GoVersion         string  `json:"go_version"`
	KafkaVersion      string  `json:"kafka_version"`
	LibrdkafkaVersion string  `json:"librdkafka_version"`
	PostgresVersion   string  `json:"postgres_version"`
	ClickHouseVersion string  `json:"clickhouse_version"`
	Events            int     `json:"events"`
	EventBytes        float64 `json:"event_bytes_mean"`
	Partitions        int     `json:"partitions"`
	Compression       string  `json:"compression"`
	Clients           int     `json:"clients"`
	ClientPlan        string  `json:"client_plan,omitempty"`
	BatchSizes        []int   `json:"batch_sizes"`
	WriterBatch       string  `json:"writer_batch"`
	PerMessageSample  int     `json:"per_message_sample"`
	PhaseCapSeconds   float64 `json:"phase_cap_seconds"`
	// Repeats is how many times every measurement ran, interleaved.
	Repeats int `json:"repeats"`
}

// Scenario is one numbered scenario of the suite.
type Scenario struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	// WallSeconds is how long the scenario took, all its runs included.
	WallSeconds  float64       `json:"wall_seconds,omitempty"`
	Error        string        `json:"error,omitempty"`
	Measurements []Measurement `json:"measurements,omitempty"`
	Ratios       []Ratio       `json:"ratios,omitempty"`
	Latencies    []Latency     `json:"latencies,omitempty"`
	Resources    []Resource    `json:"resources,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
}

// Measurement is one measured rate, repeated: Rate is the median of the
// runs' rates, MinRate and MaxRate their extremes, and Count and Seconds
// those of the median run. Every ratio uses Rate.
type Measurement struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Count   int64   `json:"count"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`
	MinRate float64 `json:"min_rate"`
	MaxRate float64 `json:"max_rate"`
	Runs    []Run   `json:"runs"`
	Unit    string  `json:"unit"`
	Note    string  `json:"note,omitempty"`
}

// Run is one run of a measurement.
type Run struct {
	Count   int64   `json:"count"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`
}

// NewRun is a run of count items over d.
func NewRun(count int64, d time.Duration) Run {
	return Run{Count: count, Seconds: d.Seconds(), Rate: stats.Rate(count, d)}
}

// NewMeasurement builds a measurement of one run of count items over d.
func NewMeasurement(name, kind, unit string, count int64, d time.Duration) Measurement {
	return Aggregate(name, kind, unit, []Run{NewRun(count, d)})
}

// Aggregate builds a measurement from its runs (in the order they ran).
func Aggregate(name, kind, unit string, runs []Run) Measurement {
	m := Measurement{Name: name, Kind: kind, Unit: unit, Runs: runs}
	rates := make([]float64, len(runs))
	for i, r := range runs {
		rates[i] = r.Rate
	}
	sp := stats.Spreads(rates)
	m.Rate, m.MinRate, m.MaxRate = sp.Median, sp.Min, sp.Max
	if i := stats.MedianIndex(rates); i >= 0 {
		m.Count, m.Seconds = runs[i].Count, runs[i].Seconds
	}
	return m
}

// Ratio compares a measurement to a baseline. Value is nil when either side
// is missing (shown as "n/a", never as a number).
type Ratio struct {
	Name     string   `json:"name"`
	Measured string   `json:"measured"`
	Baseline string   `json:"baseline"`
	Value    *float64 `json:"value"`
	// Target is the minimum ratio the issue asks for; 0 means none.
	Target float64 `json:"target,omitempty"`
	// Met is nil when there is no target or no value.
	Met *bool `json:"met,omitempty"`
}

// Latency is the ack-to-visible latency of one store at one load. Repeated
// runs are shown by their median run (by p99); P99Runs holds every run's p99.
type Latency struct {
	Name         string        `json:"name"`
	Store        string        `json:"store"`
	LoadPercent  int           `json:"load_percent"`
	TargetRate   float64       `json:"target_rate"`
	AchievedRate float64       `json:"achieved_rate"`
	Latency      stats.Latency `json:"latency"`
	// TargetP99Ms is the p99 the issue asks for at this load; 0 means none.
	TargetP99Ms float64 `json:"target_p99_ms,omitempty"`
	Met         *bool   `json:"met,omitempty"`
	// P99Runs is every run's p99 in ms; Missing counts markers never seen.
	P99Runs []float64 `json:"p99_runs_ms,omitempty"`
	Missing int       `json:"missing,omitempty"`
}

// Resource is what one process used during a scenario phase. When the phase
// ran several times, PeakRSSMB is the largest peak of its runs and
// CPUSeconds and WallSecond are summed, so CPU cores used is their mean.
type Resource struct {
	Phase      string  `json:"phase"`
	Process    string  `json:"process"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	CPUSeconds float64 `json:"cpu_seconds"`
	WallSecond float64 `json:"wall_seconds"`
	Runs       int     `json:"runs,omitempty"`
}

// Find returns the measurement with the given name in any scenario.
func (r *Report) Find(name string) (Measurement, bool) {
	for _, s := range r.Scenarios {
		for _, m := range s.Measurements {
			if m.Name == name {
				return m, true
			}
		}
	}
	return Measurement{}, false
}

// AddRatio appends to s the ratio of measurement `measured` to `baseline`
// (looked up by name in the whole report), with an optional target.
func (r *Report) AddRatio(s *Scenario, name, measured, baseline string, target float64) {
	ratio := Ratio{Name: name, Measured: measured, Baseline: baseline, Target: target}
	m, okM := r.Find(measured)
	b, okB := r.Find(baseline)
	if okM && okB {
		ratio.Value = finite(stats.Ratio(m.Rate, b.Rate))
	}
	if target > 0 && ratio.Value != nil {
		met := *ratio.Value >= target
		ratio.Met = &met
	}
	s.Ratios = append(s.Ratios, ratio)
}

func finite(v float64) *float64 {
	if v != v { // NaN
		return nil
	}
	return &v
}

// Write writes latest.md, latest.json and latest.png into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create results dir: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	png, err := r.PNG()
	if err != nil {
		return fmt.Errorf("render plot: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.png"), png, 0o644); err != nil {
		return fmt.Errorf("write png: %w", err)
	}
	return nil
}
