package sink

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/footprint/footprint/internal/admin"
)

// metrics are the loop's Prometheus series: footprint_writer_* with a
// constant writer label (pg_writer, ch_writer), so one dashboard query covers
// both writers.
type metrics struct {
	consumed   prometheus.Counter
	written    prometheus.Counter
	dlq        prometheus.Counter
	writeErrs  prometheus.Counter
	batchSize  prometheus.Histogram
	writeSecs  prometheus.Histogram
	commitSecs prometheus.Histogram
	lag        *prometheus.GaugeVec
	storeUp    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, writer string) (*metrics, error) {
	const p = "footprint_writer_"
	w := prometheus.Labels{"writer": writer}
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "consumed_total", ConstLabels: w, Help: "Kafka messages consumed (including duplicates and poison messages).",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "written_total", ConstLabels: w, Help: "Events handed to the store in successful batch writes (after in-batch dedup).",
		}),
		dlq: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "dlq_total", ConstLabels: w, Help: "Messages delivered to the dead-letter topic.",
		}),
		writeErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "write_errors_total", ConstLabels: w, Help: "Failed store write attempts (each is retried).",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "batch_size", ConstLabels: w, Help: "Events per store write.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 .. 262144
		}),
		writeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "write_seconds", ConstLabels: w, Help: "Duration of successful store batch writes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
		commitSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "commit_seconds", ConstLabels: w, Help: "Duration of Kafka offset commits.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: p + "partition_lag", ConstLabels: w, Help: "Messages between the committed offset and the high watermark, per assigned partition.",
		}, []string{"topic", "partition"}),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: p + "store_up", ConstLabels: w, Help: "1 when the last store write succeeded, 0 while the store is failing.",
		}),
	}
	if err := admin.Register(reg, m.consumed, m.written, m.dlq, m.writeErrs, m.batchSize, m.writeSecs, m.commitSecs, m.lag, m.storeUp); err != nil {
		return nil, err
	}
	m.storeUp.Set(1)
	return m, nil
}
