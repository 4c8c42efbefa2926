package stats

import (
	"math"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- { // reversed: Percentile must sort
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Millisecond},
		{95, 95 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{99.5, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{0.5, 1 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if s[0] != 100*time.Millisecond {
		t.Error("Percentile modified its input")
	}
}

func TestPercentileSmallAndEmpty(t *testing.T) {
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("empty: %v", got)
	}
	one := []time.Duration{7}
	for _, p := range []float64{1, 50, 99, 100} {
		if got := Percentile(one, p); got != 7 {
			t.Errorf("single sample p%v = %v", p, got)
		}
	}
	two := []time.Duration{10, 20}
	if got := Percentile(two, 50); got != 10 {
		t.Errorf("p50 of two = %v, want the lower", got)
	}
	if got := Percentile(two, 51); got != 20 {
		t.Errorf("p51 of two = %v, want the upper", got)
	}
}

func TestSummarise(t *testing.T) {
	l := Summarise([]time.Duration{time.Millisecond, 2 * time.Millisecond, 1500 * time.Microsecond})
	if l.Count != 3 || l.P50Ms != 1.5 || l.MaxMs != 2 || l.P99Ms != 2 {
		t.Errorf("%+v", l)
	}
}

func TestRateAndRatio(t *testing.T) {
	if got := Rate(1000, 2*time.Second); got != 500 {
		t.Errorf("rate %v", got)
	}
	if got := Rate(10, 0); got != 0 {
		t.Errorf("rate over zero time %v", got)
	}
	if got := Ratio(80, 100); got != 0.8 {
		t.Errorf("ratio %v", got)
	}
	for _, b := range []float64{0, -1, math.NaN()} {
		if got := Ratio(5, b); !math.IsNaN(got) {
			t.Errorf("ratio against %v = %v, want NaN", b, got)
		}
	}
	if got := Ratio(math.NaN(), 5); !math.IsNaN(got) {
		t.Errorf("ratio of NaN = %v", got)
	}
}

func TestSpreads(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{5}, Spread{Median: 5, Min: 5, Max: 5, N: 1}},
		{[]float64{300, 100, 200}, Spread{Median: 200, Min: 100, Max: 300, N: 3}},
		{[]float64{4, 1, 3, 2}, Spread{Median: 2.5, Min: 1, Max: 4, N: 4}},
		{[]float64{7, 7, 1}, Spread{Median: 7, Min: 1, Max: 7, N: 3}},
	} {
		in := append([]float64(nil), tc.in...)
		if got := Spreads(tc.in); got != tc.want {
			t.Errorf("Spreads(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("Spreads modified its input: %v", tc.in)
			}
		}
	}
}

func TestMedianIndex(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want int
	}{
		{nil, -1},
		{[]float64{9}, 0},
		{[]float64{300, 100, 200}, 2},
		{[]float64{100, 300, 200}, 2},
		{[]float64{4, 1, 3, 2}, 3}, // lower middle: 2
		{[]float64{5, 5, 5}, 1},
	} {
		if got := MedianIndex(tc.in); got != tc.want {
			t.Errorf("MedianIndex(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
