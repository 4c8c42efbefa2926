package beacon

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/footprint/footprint/internal/admin"
)

// Metrics of the HTTP endpoint (prefix footprint_collector_http_). Accepted,
// rejected and produced events are counted by the shared pipeline's metrics.
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	dropped     *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	limiterKeys prometheus.GaugeFunc
}

// Routes and outcomes, as metric labels.
const (
	routeEvent     = "event"
	routePreflight = "preflight"
	routeScript    = "script"
)

func newMetrics(reg prometheus.Registerer, ipKeys func() int) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_collector_http_requests_total",
			Help: "HTTP beacon requests by route (event, preflight, script) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "footprint_collector_http_request_duration_seconds",
			Help:    "HTTP beacon request duration by route; for events it includes Kafka's acknowledgement.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_collector_http_events_dropped_total",
			Help: "Browser events answered 202 but not stored, by reason (bot).",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_collector_http_rate_limited_total",
			Help: "Browser events refused with 429, by bucket (ip, site).",
		}, []string{"scope"}),
		limiterKeys: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "footprint_collector_http_rate_limit_ips",
			Help: "Client IPs the rate limiter currently remembers (bounded by FOOTPRINT_COLLECTOR_HTTP_RATE_LIMIT_KEYS).",
		}, func() float64 { return float64(ipKeys()) }),
	}
	if err := admin.Register(reg, m.requests, m.duration, m.dropped, m.rateLimited, m.limiterKeys); err != nil {
		return nil, err
	}
	for _, scope := range []string{"ip", "site"} {
		m.rateLimited.WithLabelValues(scope)
	}
	m.dropped.WithLabelValues("bot")
	return m, nil
}
