package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-store metrics of the query service.
type Metrics struct {
	seconds  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	rejected *prometheus.CounterVec
	inflight *prometheus.GaugeVec
}

// NewMetrics registers the store metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "footprint_query_store_seconds",
			Help: "Latency of one SQL statement, per store.",
			// 1 ms .. ~16 s: dashboard panels on either store.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"store"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_query_store_errors_total",
			Help: "Statements that failed or timed out, per store.",
		}, []string{"store"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_query_store_rejected_total",
			Help: "Queries refused because every slot of the store stayed busy for the queue wait.",
		}, []string{"store"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "footprint_query_store_inflight",
			Help: "Queries running on the store now.",
		}, []string{"store"}),
	}
	for _, c := range []prometheus.Collector{m.seconds, m.errors, m.rejected, m.inflight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}
