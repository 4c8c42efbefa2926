package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	"github.com/footprint/footprint/internal/admin"
)

// Metrics are the collector's Prometheus metrics (prefix footprint_collector_).
type Metrics struct {
	received       prometheus.Counter
	accepted       prometheus.Counter
	rejected       *prometheus.CounterVec
	produced       prometheus.Counter
	failed         prometheus.Counter
	produceLatency prometheus.Histogram
	inFlight       prometheus.Gauge
}

// NewMetrics registers the metrics on reg. queueDepth reports the producer's
// local queue length when scraped.
func NewMetrics(reg prometheus.Registerer, queueDepth func() int) (*Metrics, error) {
	m := &Metrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "footprint_collector_events_received_total",
			Help: "Events received in Ingest and IngestStream calls, before any check.",
		}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "footprint_collector_events_accepted_total",
			Help: "Events that passed validation and were handed to the producer.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_collector_events_rejected_total",
			Help: "Events rejected by validation, by reason.",
		}, []string{"reason"}),
		produced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "footprint_collector_events_produced_total",
			Help: "Events Kafka acknowledged (acks=all).",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "footprint_collector_events_failed_total",
			Help: "Events that could not be queued or whose delivery failed.",
		}),
		produceLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "footprint_collector_produce_latency_seconds",
			Help:    "Time from producing a call's first event to Kafka acknowledging its last.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "footprint_collector_in_flight_rpcs",
			Help: "CollectorService calls being served.",
		}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "footprint_collector_producer_queue_depth",
		Help: "Messages in the producer's local queue, not yet acknowledged by Kafka.",
	}, func() float64 { return float64(queueDepth()) })
	if err := admin.Register(reg, m.received, m.accepted, m.rejected, m.produced, m.failed, m.produceLatency, m.inFlight, queue); err != nil {
		return nil, err
	}
	// Expose every reason from the start, so rate() works before the first rejection.
	for reason := range collectorv1.RejectReason_name {
		if reason != 0 {
			m.rejected.WithLabelValues(reasonLabel(collectorv1.RejectReason(reason)))
		}
	}
	return m, nil
}

// Produced counts acknowledged events.
func (m *Metrics) Produced(n int) { m.produced.Add(float64(n)) }

// Failed counts events that were not delivered.
func (m *Metrics) Failed(n int) { m.failed.Add(float64(n)) }

// ProduceLatency observes one call's produce-to-acknowledge time.
func (m *Metrics) ProduceLatency(d time.Duration) { m.produceLatency.Observe(d.Seconds()) }

// reasonLabel is the lower-case reason without the enum prefix, e.g. "too_long".
func reasonLabel(r collectorv1.RejectReason) string {
	name := r.String()
	const prefix = "REJECT_REASON_"
	if len(name) > len(prefix) {
		name = name[len(prefix):]
	}
	out := []byte(name)
	for i, c := range out {
		if c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}
