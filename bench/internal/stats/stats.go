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
