package server

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/status"
)

// Metrics are the call-level metrics of the query service.
type Metrics struct {
	calls    *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	parities *prometheus.CounterVec
}

// NewMetrics registers the call metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_query_calls_total",
			Help: "API calls by method and status code.",
		}, []string{"method", "code"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "footprint_query_call_seconds",
			Help:    "Latency of an API call, all its store queries included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"method"}),
		parities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_query_parity_total",
			Help: "STORE_BOTH answers by whether the two stores matched.",
		}, []string{"match"}),
	}
	for _, c := range []prometheus.Collector{m.calls, m.seconds, m.parities} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observe(method string, start time.Time, err *error) {
	m.seconds.WithLabelValues(method).Observe(time.Since(start).Seconds())
	m.calls.WithLabelValues(method, status.Code(*err).String()).Inc()
}

func (m *Metrics) parity(match bool) {
	label := "false"
	if match {
		label = "true"
	}
	m.parities.WithLabelValues(label).Inc()
}
