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
