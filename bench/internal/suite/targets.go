package suite

import (
	"fmt"

	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stats"
)

// Issue 15's targets.
const (
	targetCollector1000 = 0.80
	targetCollector100  = 0.60
	targetUnaryRate     = 15_000.0
	targetCHWriter      = 0.80
	targetPGWriter      = 0.85
	targetE2ERate       = 40_000.0
	targetWriterRSSMB   = 300.0
	targetCollRSSMB     = 150.0
)

// reasonMissing is the reason of a target whose measurement is missing.
const reasonMissing = "not measured: the scenario failed (see its error)"

// evaluateTargets reads issue 15's targets off a finished report: every
// line met, not met, or not measured. Rates and ratios use the medians of
// the runs; a memory target uses the largest peak of all runs (res, before
// merging), because a limit must hold in every run.
func evaluateTargets(rep *report.Report, cfg Config, res []report.Resource) []report.Target {
	var out []report.Target
	for _, v := range cfg.variants() {
		if v.batch < 100 {
			continue
		}
		want, id := targetCollector1000, "collector-1000"
		if v.batch < 1000 {
			want, id = targetCollector100, "collector-100"
		}
		kind := "unary"
		if v.stream {
			kind = "stream"
		}
		out = append(out, ratioTarget(rep, id+"-"+kind, fmt.Sprintf("%s >= %.0f%% of the raw producer", v.name(), want*100), v.name(), mRawProducer, want))
	}
	if cfg.hasUnary() {
		out = append(out, unaryTarget(rep, cfg))
	}
	out = append(out,
		ratioTarget(rep, "ch-writer", fmt.Sprintf("ch-writer >= %.0f%% of the raw native insert of the same rows", targetCHWriter*100), mCHWriter, mCHRaw, targetCHWriter),
		ratioTarget(rep, "pg-writer", fmt.Sprintf("pg-writer >= %.0f%% of raw COPY of the same rows", targetPGWriter*100), mPGWriter, mPGRaw, targetPGWriter),
		rateTarget(rep, "e2e-rate", fmt.Sprintf("end to end, both stores >= %s events/s", thousands(targetE2ERate)), mE2E, targetE2ERate),
		reportedRatio(rep, "e2e-vs-full-row", "end to end / per-message baseline, full row (reported)", mE2E, mPerMsgFull),
		reportedRatio(rep, "e2e-vs-link-row", "end to end / per-message baseline, link row (reported)", mE2E, mPerMsgLink),
	)
	for _, st := range []string{"postgres", "clickhouse"} {
		out = append(out, latencyTarget(rep, st))
	}
	out = append(out,
		rssTarget(res, "rss-pg-writer", fmt.Sprintf("pg-writer peak RSS <= %.0f MB draining %d events", targetWriterRSSMB, cfg.Events), phasePGDrain, "pg-writer", targetWriterRSSMB),
		rssTarget(res, "rss-ch-writer", fmt.Sprintf("ch-writer peak RSS <= %.0f MB draining %d events", targetWriterRSSMB, cfg.Events), phaseCHDrain, "ch-writer", targetWriterRSSMB),
	)
	var collPhases []string
	for _, v := range cfg.variants() {
		if v.batch >= 1000 {
			collPhases = append(collPhases, v.phase())
		}
	}
	out = append(out, rssTarget(res, "rss-collector", fmt.Sprintf("collector peak RSS <= %.0f MB under the batch-1000 load", targetCollRSSMB), "", "collector", targetCollRSSMB, collPhases...))
	return out
}

func ratioTarget(rep *report.Report, id, text, measured, baseline string, want float64) report.Target {
	t := report.Target{ID: id, Target: text, Measured: "n/a", Reason: reasonMissing}
	m, okM := rep.Find(measured)
	b, okB := rep.Find(baseline)
	if !okM || !okB || b.Rate <= 0 {
		return t
	}
	v := stats.Ratio(m.Rate, b.Rate)
	met := v >= want
	t.Met, t.Reason = &met, ""
	t.Measured = fmt.Sprintf("%.0f%% (%s vs %s %s)", v*100, thousands(m.Rate), thousands(b.Rate), m.Unit)
	return t
}

func rateTarget(rep *report.Report, id, text, measured string, want float64) report.Target {
	t := report.Target{ID: id, Target: text, Measured: "n/a", Reason: reasonMissing}
	m, ok := rep.Find(measured)
	if !ok {
		return t
	}
	met := m.Rate >= want
	t.Met, t.Reason = &met, ""
	t.Measured = fmt.Sprintf("%s %s (runs %s-%s)", thousands(m.Rate), m.Unit, thousands(m.MinRate), thousands(m.MaxRate))
	return t
}

// unaryTarget is the single-event unary target, shown next to its ceiling.
func unaryTarget(rep *report.Report, cfg Config) report.Target {
	u := variant{batch: 1, clients: cfg.UnaryClients}
	t := rateTarget(rep, "collector-unary-1", fmt.Sprintf("%s >= %s events/s (ceiling: the bare gRPC echo server)", u.name(), thousands(targetUnaryRate)), u.name(), targetUnaryRate)
	if e, ok := rep.Find(cfg.echoName()); ok && t.Met != nil && e.Rate > 0 {
		m, _ := rep.Find(u.name())
		t.Measured += fmt.Sprintf("; echo server %s events/s, collector at %.0f%% of it", thousands(e.Rate), m.Rate/e.Rate*100)
	}
	return t
}

// reportedRatio is a ratio the issue asks to report, without a threshold:
// met when it was measured.
func reportedRatio(rep *report.Report, id, text, measured, baseline string) report.Target {
	t := report.Target{ID: id, Target: text, Measured: "n/a", Reason: reasonMissing}
	m, okM := rep.Find(measured)
	b, okB := rep.Find(baseline)
	if !okM || !okB || b.Rate <= 0 {
		return t
	}
	met := true
	t.Met, t.Reason = &met, ""
	t.Measured = fmt.Sprintf("%.0fx (%s events/s vs %s %s)", m.Rate/b.Rate, thousands(m.Rate), thousands(b.Rate), b.Unit)
	return t
}

func latencyTarget(rep *report.Report, store string) report.Target {
	t := report.Target{ID: "p99-" + store, Target: fmt.Sprintf("%s p99 ack to visible <= %d ms at 50%% load", store, latencyTargetMs), Measured: "n/a", Reason: reasonMissing}
	for _, s := range rep.Scenarios {
		for _, l := range s.Latencies {
			if l.Store != store || l.LoadPercent != 50 || l.Latency.Count == 0 {
				continue
			}
			met := l.Missing == 0 && l.Latency.P99Ms <= latencyTargetMs
			t.Met, t.Reason = &met, ""
			sp := stats.Spreads(l.P99Runs)
			t.Measured = fmt.Sprintf("%.0f ms (runs %.0f-%.0f ms) at %s events/s", l.Latency.P99Ms, sp.Min, sp.Max, thousands(l.AchievedRate))
			if l.Missing > 0 {
				t.Measured += fmt.Sprintf("; %d markers never visible", l.Missing)
			}
		}
	}
	return t
}

// rssTarget is a memory limit on process in phase (or in any of phases).
func rssTarget(res []report.Resource, id, text, phase, process string, limitMB float64, phases ...string) report.Target {
	t := report.Target{ID: id, Target: text, Measured: "n/a", Reason: reasonMissing}
	if phase != "" {
		phases = append(phases, phase)
	}
	peak, found := 0.0, false
	for _, ph := range phases {
		if p, ok := report.PeakRSS(res, ph, process); ok {
			peak, found = max(peak, p), true
		}
	}
	if !found {
		return t
	}
	met := peak <= limitMB
	t.Met, t.Reason = &met, ""
	t.Measured = fmt.Sprintf("%.0f MB (largest peak of all runs)", peak)
	return t
}

// thousands prints a rate rounded, with thousands separators.
func thousands(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
