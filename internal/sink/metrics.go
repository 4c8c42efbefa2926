package sink

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the loop's Prometheus series, named footprint_<writer>_*.
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
	p := "footprint_" + writer + "_"
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "consumed_total", Help: "Kafka messages consumed (including duplicates and poison messages).",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "written_total", Help: "Events handed to the store in successful batch writes (after in-batch dedup).",
		}),
		dlq: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "dlq_total", Help: "Messages delivered to the dead-letter topic.",
		}),
		writeErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: p + "write_errors_total", Help: "Failed store write attempts (each is retried).",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "batch_size", Help: "Events per store write.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 .. 262144
		}),
		writeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "write_seconds", Help: "Duration of successful store batch writes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
		commitSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: p + "commit_seconds", Help: "Duration of Kafka offset commits.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: p + "partition_lag", Help: "Messages between the committed offset and the high watermark, per assigned partition.",
		}, []string{"topic", "partition"}),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: p + "store_up", Help: "1 when the last store write succeeded, 0 while the store is failing.",
		}),
	}
	for _, c := range []prometheus.Collector{m.consumed, m.written, m.dlq, m.writeErrs, m.batchSize, m.writeSecs, m.commitSecs, m.lag, m.storeUp} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.storeUp.Set(1)
	return m, nil
}
