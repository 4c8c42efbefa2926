// Package stats computes what the report shows: latency percentiles, rates
// and the ratios of a measured rate to its baseline.
package stats

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of samples by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are less than or equal to it. It is an observed value, never an
// interpolation, which is what "p99 latency" conventionally means. It returns
// 0 for no samples. samples is not modified.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 || p <= 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	if p >= 100 {
		return s[len(s)-1]
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

// Latency summarises a set of latency samples.
type Latency struct {
	Count int     `json:"count"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// Summarise returns the percentiles of samples in milliseconds.
func Summarise(samples []time.Duration) Latency {
	return Latency{
		Count: len(samples),
		P50Ms: ms(Percentile(samples, 50)),
		P95Ms: ms(Percentile(samples, 95)),
		P99Ms: ms(Percentile(samples, 99)),
		MaxMs: ms(Percentile(samples, 100)),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Rate returns n per second over d, or 0 when d is not positive.
func Rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Ratio returns measured/baseline, or NaN when the baseline is missing or
// not positive: a ratio against nothing must show as missing, never as a
// huge number.
func Ratio(measured, baseline float64) float64 {
	if baseline <= 0 || math.IsNaN(baseline) || math.IsNaN(measured) {
		return math.NaN()
	}
	return measured / baseline
}

// Spread is a repeated measurement: its median with the smallest and the
// largest value, and how many values there were.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Spreads returns the median, min and max of values. The median of an odd
// count is the middle value; of an even count, the mean of the two middle
// values. No values give the zero Spread. values is not modified.
func Spreads(values []float64) Spread {
	if len(values) == 0 {
		return Spread{}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Spread{Median: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// MedianIndex returns the index in values of the median value (for an even
// count, the lower of the two middle values), so that other figures of the
// same run can be shown next to the median; -1 for no values.
func MedianIndex(values []float64) int {
	if len(values) == 0 {
		return -1
	}
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case values[a] < values[b]:
			return -1
		case values[a] > values[b]:
			return 1
		}
		return 0
	})
	return idx[(len(idx)-1)/2]
}
