package sink

import (
	"strconv"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// ageResolution is how close in time two consumed messages of a partition
// may be to share one age sample: the age reported is at most this much
// too high, and the tracker keeps at most one sample per this much of
// uncommitted data per partition.
const ageResolution = 100 * time.Millisecond

// ageTracker is footprint_writer_oldest_unwritten_age_seconds: per assigned
// partition, how long ago the oldest message the writer consumed but has
// not committed (written) was produced (its Kafka timestamp, the time
// `footprint lag` reads too), and 0 when everything consumed is committed.
// While a batch is held (store down, partitions paused) it grows with the
// wall clock. Messages not consumed yet are not seen: the loop consumes
// ahead of its writes, so the oldest unwritten message is normally in hand;
// `footprint lag` reads the topic itself and also covers a writer that is
// not running.
type ageTracker struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu    sync.Mutex
	parts map[tpKey][]ageSample // oldest first; empty: nothing unwritten
}

// ageSample covers consumed offsets first..last, produced at or after at.
type ageSample struct {
	first, last kafka.Offset
	at          time.Time
}

func newAgeTracker(writer string) *ageTracker {
	return &ageTracker{
		desc: prometheus.NewDesc("footprint_writer_oldest_unwritten_age_seconds",
			"Age of the oldest message consumed but not yet written and committed, per assigned partition (0: none); the number `footprint lag` shows for a running writer.",
			[]string{"topic", "partition"}, prometheus.Labels{"writer": writer}),
		now:   time.Now,
		parts: map[tpKey][]ageSample{},
	}
}

// consumed records one consumed message.
func (a *ageTracker) consumed(msg *kafka.Message) {
	tp := tpKey{*msg.TopicPartition.Topic, msg.TopicPartition.Partition}
	off, at := msg.TopicPartition.Offset, msg.Timestamp
	if at.IsZero() {
		at = a.now()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.parts[tp]
	if n := len(s); n > 0 && off > s[n-1].last && at.Sub(s[n-1].at) < ageResolution {
		s[n-1].last = off
		return
	}
	a.parts[tp] = append(s, ageSample{first: off, last: off, at: at})
}

// committed forgets what offsets (the next offset to read, per partition)
// cover.
func (a *ageTracker) committed(offsets []kafka.TopicPartition) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, tp := range offsets {
		k := tpKey{*tp.Topic, tp.Partition}
		s := a.parts[k]
		for len(s) > 0 && s[0].last < tp.Offset {
			s = s[1:]
		}
		if len(s) > 0 && s[0].first < tp.Offset {
			s[0].first = tp.Offset
		}
		a.parts[k] = s
	}
}

// forget drops a revoked partition: its new owner reports it.
func (a *ageTracker) forget(topic string, partition int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.parts, tpKey{topic, partition})
}

// Describe implements prometheus.Collector.
func (a *ageTracker) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

// Collect implements prometheus.Collector.
func (a *ageTracker) Collect(ch chan<- prometheus.Metric) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for tp, s := range a.parts {
		age := 0.0
		if len(s) > 0 {
			age = max(now.Sub(s[0].at).Seconds(), 0)
		}
		if m, err := prometheus.NewConstMetric(a.desc, prometheus.GaugeValue, age, tp.topic, strconv.Itoa(int(tp.partition))); err == nil {
			ch <- m
		}
	}
}
