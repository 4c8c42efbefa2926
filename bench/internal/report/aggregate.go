package report

import (
	"github.com/footprint/footprint/bench/internal/stats"
)

// MergeResources folds repeated phases into one row per phase and process,
// in the order they first appear: the largest peak RSS of the runs, CPU
// seconds and wall seconds summed (so cores used is the runs' mean).
func MergeResources(res []Resource) []Resource {
	type key struct{ phase, process string }
	var out []Resource
	at := map[key]int{}
	for _, r := range res {
		k := key{r.Phase, r.Process}
		i, ok := at[k]
		if !ok {
			r.Runs = max(r.Runs, 1)
			at[k] = len(out)
			out = append(out, r)
			continue
		}
		o := &out[i]
		o.PeakRSSMB = max(o.PeakRSSMB, r.PeakRSSMB)
		o.CPUSeconds += r.CPUSeconds
		o.WallSecond += r.WallSecond
		o.Runs += max(r.Runs, 1)
	}
	return out
}

// PeakRSS returns the largest peak RSS of process in phase over all runs.
func PeakRSS(res []Resource, phase, process string) (float64, bool) {
	peak, found := 0.0, false
	for _, r := range res {
		if r.Phase == phase && r.Process == process {
			peak, found = max(peak, r.PeakRSSMB), true
		}
	}
	return peak, found
}

// MergeLatencies folds the runs of each store and load into one row, in the
// order they first appear: the run with the median p99 is shown, P99Runs
// holds every run's p99 and Missing sums the markers never seen. Met (when
// the load has a target) holds for the median p99 with no marker missing.
func MergeLatencies(runs []Latency) []Latency {
	type key struct {
		store string
		load  int
	}
	groups := map[key][]Latency{}
	var order []key
	for _, l := range runs {
		k := key{l.Store, l.LoadPercent}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l)
	}
	out := make([]Latency, 0, len(order))
	for _, k := range order {
		g := groups[k]
		p99s := make([]float64, len(g))
		missing := 0
		for i, l := range g {
			p99s[i] = l.Latency.P99Ms
			missing += l.Missing
		}
		m := g[stats.MedianIndex(p99s)]
		m.P99Runs, m.Missing = p99s, missing
		if m.TargetP99Ms > 0 {
			met := m.Latency.Count > 0 && missing == 0 && m.Latency.P99Ms <= m.TargetP99Ms
			m.Met = &met
		}
		out = append(out, m)
	}
	return out
}
