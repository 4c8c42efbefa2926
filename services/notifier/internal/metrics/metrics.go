// Package metrics holds the notifier's own Prometheus metrics
// (footprint_notifier_*); the consume loop adds footprint_writer_* ones with
// writer="notifier".
package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/footprint/footprint/services/notifier/internal/inbox"
)

// Metrics are the notifier's metrics.
type Metrics struct {
	Created        *prometheus.CounterVec
	Skipped        *prometheus.CounterVec
	Duplicates     prometheus.Counter
	InboxLatency   prometheus.Histogram
	WebhookLatency *prometheus.HistogramVec
	Deliveries     *prometheus.CounterVec
	Retries        *prometheus.CounterVec
	DeadLetters    *prometheus.CounterVec
	Subscribers    prometheus.Gauge
	Pushed         prometheus.Counter
}

// latencyBuckets span 5 ms to about 80 s.
func latencyBuckets() []float64 { return prometheus.ExponentialBuckets(0.005, 2, 15) }

// New registers the metrics on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	const p = "footprint_notifier_"
	m := &Metrics{
		Created: prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "notifications_created_total",
			Help: "Inbox changes by rule: kind=new (a notification) or grouped (an event joined a group)."}, []string{"rule", "kind"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "events_skipped_total",
			Help: "Events a rule matched that notified no one, by rule and reason (no_recipient, self)."}, []string{"rule", "reason"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: p + "events_duplicate_total",
			Help: "Events already in the inbox (redeliveries) or of an actor already counted in their group."}),
		InboxLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: p + "inbox_latency_seconds",
			Help: "From the event's received_at (collector) to the inbox transaction's commit.", Buckets: latencyBuckets()}),
		WebhookLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: p + "webhook_latency_seconds",
			Help: "From the event's received_at to the endpoint's successful answer, by endpoint.", Buckets: latencyBuckets()}, []string{"endpoint"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "webhook_attempts_total",
			Help: "Webhook delivery attempts by endpoint and result (ok, error)."}, []string{"endpoint", "result"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "webhook_retries_total",
			Help: "Failed webhook attempts scheduled for a retry, by endpoint."}, []string{"endpoint"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + "webhook_dead_letters_total",
			Help: "Webhook messages sent to the dead-letter topic after the last attempt, by endpoint."}, []string{"endpoint"}),
		Subscribers: prometheus.NewGauge(prometheus.GaugeOpts{Name: p + "subscribers",
			Help: "Open Subscribe streams."}),
		Pushed: prometheus.NewCounter(prometheus.CounterOpts{Name: p + "subscribe_messages_total",
			Help: "Notifications sent on Subscribe streams."}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.Created, m.Skipped, m.Duplicates, m.InboxLatency, m.WebhookLatency,
		m.Deliveries, m.Retries, m.DeadLetters, m.Subscribers, m.Pushed} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register notifier metrics: %w", err)
	}
	return m, nil
}

// Committed records a committed inbox write (inbox.Hooks.Committed).
func (m *Metrics) Committed(res inbox.WriteResult) {
	now := time.Now()
	for _, c := range res.Changes {
		kind := "new"
		if c.Grouped {
			kind = "grouped"
		}
		m.Created.WithLabelValues(c.Action.Rule.Name, kind).Inc()
		m.InboxLatency.Observe(now.Sub(c.Action.ReceivedAt).Seconds())
	}
	for _, s := range res.Skips {
		m.Skipped.WithLabelValues(s.Rule, s.Reason).Inc()
	}
	m.Duplicates.Add(float64(res.Duplicates))
}
