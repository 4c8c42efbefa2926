package dashboards

import (
	"math"
	"testing"
	"time"
)

func msSamples(vals ...int) []time.Duration {
	out := make([]time.Duration, len(vals))
	for i, v := range vals {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestSummariseNearestRank(t *testing.T) {
	var hundred []int
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, i)
	}
	l := Summarise(msSamples(hundred...), msSamples(5, 1, 3))
	if l.Reps != 100 || l.P50Ms != 50 || l.P95Ms != 95 || l.P99Ms != 99 || l.MaxMs != 100 {
		t.Errorf("1..100 ms: got %+v, want reps 100, p50 50, p95 95, p99 99, max 100", l)
	}
	if l.ServerP50Ms != 3 {
		t.Errorf("server p50 of 5,1,3 = %v, want 3", l.ServerP50Ms)
	}
	// With 20 samples p95 is the 19th, p99 the 20th.
	var twenty []int
	for i := 1; i <= 20; i++ {
		twenty = append(twenty, i*10)
	}
	l = Summarise(msSamples(twenty...), nil)
	if l.P50Ms != 100 || l.P95Ms != 190 || l.P99Ms != 200 {
		t.Errorf("20 samples: got %+v, want p50 100, p95 190, p99 200", l)
	}
	// Fewer samples: p95 and p99 are the maximum.
	l = Summarise(msSamples(30, 10, 20), nil)
	if l.P50Ms != 20 || l.P95Ms != 30 || l.P99Ms != 30 {
		t.Errorf("3 samples: got %+v, want p50 20, p95 30, p99 30", l)
	}
}

func TestBudgetRepsFor(t *testing.T) {
	b := Budget{Reps: 20, Min: 3, PerQuery: 30 * time.Second}
	for _, c := range []struct {
		cost time.Duration
		want int
	}{
		{100 * time.Millisecond, 20}, // 20 runs fit
		{1500 * time.Millisecond, 20},
		{3 * time.Second, 10}, // 30 s / 3 s
		{20 * time.Second, 3}, // the minimum
		{0, 20},               // unknown cost: the wanted reps
	} {
		if got := b.RepsFor(c.cost); got != c.want {
			t.Errorf("RepsFor(%v) = %d, want %d", c.cost, got, c.want)
		}
	}
}

func TestSlopeAndRatio(t *testing.T) {
	xs := []float64{1e6, 3e6, 1e7}
	if s := slope(xs, []float64{10, 30, 100}); math.Abs(s-1) > 1e-9 {
		t.Errorf("linear growth slope = %v, want 1", s)
	}
	if s := slope(xs, []float64{5, 5, 5}); math.Abs(s) > 1e-9 {
		t.Errorf("flat slope = %v, want 0", s)
	}
	if !math.IsNaN(slope(xs[:1], []float64{1})) {
		t.Error("slope of one point is not NaN")
	}
	if r := Ratio(50, 200); r != 0.25 {
		t.Errorf("Ratio(50, 200) = %v, want 0.25", r)
	}
	if !math.IsNaN(Ratio(1, 0)) {
		t.Error("ratio against 0 is not NaN")
	}
}

func TestQueriesMirrorTheDashboard(t *testing.T) {
	vs := Variants(DefaultData())
	if len(vs) != 4 {
		t.Fatalf("%d variants, want 4", len(vs))
	}
	qs := Queries("s", vs[3])
	// cards, chart, previous chart, and 15 tabs.
	if len(qs) != 18 {
		t.Errorf("%d queries, want 18", len(qs))
	}
	defaults := 0
	for _, q := range qs {
		if q.DefaultTab && !q.AfterCards {
			defaults++
		}
		if f := q.Req.GetFilters(); len(f) == 0 || f[0].GetDimension() != "event:page" {
			t.Errorf("%s: page view has no page filter first: %v", q.ID, f)
		}
	}
	// cards and chart plus one default tab of each of the six panels.
	if defaults != 8 {
		t.Errorf("%d queries on first load, want 8", defaults)
	}
	if got := vs[1].To.Sub(vs[1].From); got != 29*24*time.Hour {
		t.Errorf("30d range spans %v", got)
	}
}
