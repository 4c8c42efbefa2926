package suite

import (
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stats"
)

// targetReport is a finished report with every measurement the targets
// read, each from three runs.
func targetReport(cfg Config) (*report.Report, []report.Resource) {
	runs := func(rates ...int64) []report.Run {
		out := make([]report.Run, len(rates))
		for i, r := range rates {
			out[i] = report.NewRun(r, time.Second)
		}
		return out
	}
	agg := report.Aggregate
	ms := []report.Measurement{
		agg(mRawProducer, report.KindBaseline, "events/s", runs(100_000, 200_000, 150_000)),
		agg(cfg.echoName(), report.KindBaseline, "events/s", runs(40_000, 40_000, 40_000)),
		agg(mPGWriter, report.KindFootprint, "rows/s", runs(34_000, 36_000, 35_000)),
		agg(mPGRaw, report.KindBaseline, "rows/s", runs(40_000, 40_000, 40_000)),
		agg(mCHWriter, report.KindFootprint, "rows/s", runs(160_000, 170_000, 180_000)),
		agg(mCHRaw, report.KindBaseline, "rows/s", runs(200_000, 200_000, 200_000)),
		agg(mE2E, report.KindFootprint, "events/s", runs(41_000, 39_000, 45_000)),
		agg(mPerMsgFull, report.KindBaseline, "messages/s", runs(500, 540, 520)),
	}
	for _, v := range cfg.variants() {
		rate := int64(130_000) // 130k of a 150k median: 87%
		if v.batch == 100 {
			rate = 60_000 // 40%
		}
		if v.batch == 1 {
			rate = 16_000
		}
		ms = append(ms, agg(v.name(), report.KindFootprint, "events/s", runs(rate, rate, rate)))
	}
	lat := func(st string, p99 float64) report.Latency {
		return report.Latency{Store: st, LoadPercent: 50, AchievedRate: 20_000, Latency: stats.Latency{Count: 100, P99Ms: p99}, P99Runs: []float64{p99 - 10, p99, p99 + 10}}
	}
	rep := &report.Report{Scenarios: []report.Scenario{{ID: "1", Measurements: ms, Latencies: []report.Latency{lat("postgres", 1200), lat("clickhouse", 900)}}}}
	res := []report.Resource{
		{Phase: phasePGDrain, Process: "pg-writer", PeakRSSMB: 250},
		{Phase: phasePGDrain, Process: "pg-writer", PeakRSSMB: 320}, // one run over the limit
		{Phase: phaseCHDrain, Process: "ch-writer", PeakRSSMB: 200},
		{Phase: variant{batch: 1000, clients: cfg.Clients}.phase(), Process: "collector", PeakRSSMB: 100},
		{Phase: variant{batch: 1000, clients: cfg.Clients, stream: true}.phase(), Process: "collector", PeakRSSMB: 140},
		{Phase: variant{batch: 1, clients: cfg.UnaryClients}.phase(), Process: "collector", PeakRSSMB: 500}, // not the batch-1000 load
	}
	return rep, res
}

func TestEvaluateTargets(t *testing.T) {
	cfg := DefaultConfig()
	rep, res := targetReport(cfg)
	got := map[string]report.Target{}
	for _, tg := range evaluateTargets(rep, cfg, res) {
		got[tg.ID] = tg
	}
	want := map[string]*bool{
		"collector-1000-unary": ptr(true), "collector-1000-stream": ptr(true),
		"collector-100-unary": ptr(false), "collector-100-stream": ptr(false),
		"collector-unary-1": ptr(true),
		"ch-writer":         ptr(true),  // 170k / 200k = 85%
		"pg-writer":         ptr(true),  // 35k / 40k = 87.5%
		"e2e-rate":          ptr(true),  // median 41k
		"e2e-vs-full-row":   ptr(true),  // reported
		"e2e-vs-link-row":   nil,        // baseline missing
		"p99-postgres":      ptr(false), // 1200 ms
		"p99-clickhouse":    ptr(true),
		"rss-pg-writer":     ptr(false), // the largest run counts
		"rss-ch-writer":     ptr(true),
		"rss-collector":     ptr(true), // batch 1 excluded
	}
	if len(got) != len(want) {
		t.Errorf("%d targets, want %d: %+v", len(got), len(want), got)
	}
	for id, w := range want {
		tg, ok := got[id]
		switch {
		case !ok:
			t.Errorf("target %s missing", id)
		case w == nil && tg.Met != nil, w != nil && (tg.Met == nil || *tg.Met != *w):
			t.Errorf("target %s: met = %v, want %v (%+v)", id, deref(tg.Met), deref(w), tg)
		}
	}
	if r := got["e2e-vs-link-row"].Reason; r != reasonMissing {
		t.Errorf("missing measurement reason = %q", r)
	}
	if m := got["e2e-vs-full-row"].Measured; !strings.HasPrefix(m, "79x") {
		t.Errorf("e2e / full row = %q, want 41,000/520 = 79x from the medians", m)
	}
	if m := got["collector-unary-1"].Measured; !strings.Contains(m, "echo server 40,000") {
		t.Errorf("unary target must show its ceiling: %q", m)
	}
	if m := got["rss-pg-writer"].Measured; !strings.HasPrefix(m, "320 MB") {
		t.Errorf("rss = %q, want the largest peak", m)
	}
}

func ptr(b bool) *bool { return &b }

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestCPUPerEvent(t *testing.T) {
	res := []report.Resource{
		{Phase: phaseE2EMax, Process: "collector", CPUSeconds: 2},
		{Phase: phaseE2EMax, Process: "pg-writer", CPUSeconds: 1},
		{Phase: phaseE2EMax, Process: "collector", CPUSeconds: 2}, // a second run
		{Phase: "1 raw producer", Process: "Kafka broker", CPUSeconds: 9},
	}
	runs := []report.Run{{Count: 100_000}, {Count: 100_000}}
	got := cpuPerEvent(res, phaseE2EMax, runs, 2)
	want := "CPU per acknowledged event at maximum rate, all runs together, in microseconds: collector 20.0, pg-writer 5.0; 25.0 in all, so 2 cores allow at most 80,000 events/s at this cost."
	if got != want {
		t.Errorf("cpuPerEvent =\n%s\nwant\n%s", got, want)
	}
	if got := cpuPerEvent(res, phaseE2EMax, nil, 2); got != "" {
		t.Errorf("without events: %q, want no note", got)
	}
}
