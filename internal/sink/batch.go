package sink

import (
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// tpKey identifies one partition of one topic.
type tpKey struct {
	topic     string
	partition int32
}

// batch is the one uncommitted batch: everything consumed since the last
// commit. It is owned by the goroutine in Run.
type batch struct {
	events  []*eventv1.Event
	evMsgs  []*kafka.Message       // evMsgs[i] carried events[i], for the DLQ if the store rejects it
	seen    map[string]struct{}    // event ids in events (lower case)
	offsets map[tpKey]kafka.Offset // highest offset in the batch per partition
	dlq     []*dlqPending
	msgs    int
	bytes   int
	first   time.Time
}

func (b *batch) reset() {
	*b = batch{seen: make(map[string]struct{}), offsets: make(map[tpKey]kafka.Offset)}
}

// count records one consumed message, polled at polledAt (events,
// duplicates and dead letters alike, so the limits bound memory whatever the
// mix), and returns its partition. The batch's age counts from its first
// message's poll, also when that message was carried over from the flush
// of the batch before.
func (b *batch) count(msg *kafka.Message, polledAt time.Time) tpKey {
	if b.msgs == 0 {
		b.first = polledAt
	}
	b.msgs++
	b.bytes += len(msg.Value)
	tp := tpKey{*msg.TopicPartition.Topic, msg.TopicPartition.Partition}
	if cur, ok := b.offsets[tp]; !ok || msg.TopicPartition.Offset > cur {
		b.offsets[tp] = msg.TopicPartition.Offset
	}
	return tp
}

// addEvent adds ev, carried by msg, unless the batch holds its event_id
// already: redelivered or retried copies in one batch are written once, the
// first one (the stores keep the first copy across batches too).
func (b *batch) addEvent(ev *eventv1.Event, msg *kafka.Message) {
	id := strings.ToLower(ev.GetEventId())
	if _, dup := b.seen[id]; dup {
		return
	}
	b.seen[id] = struct{}{}
	b.events = append(b.events, ev)
	b.evMsgs = append(b.evMsgs, msg)
}

// due reports whether the batch reached one of its limits.
func (b *batch) due(cfg Config) bool {
	return b.msgs > 0 && (b.msgs >= cfg.BatchMaxEvents || b.bytes >= cfg.BatchMaxBytes || time.Since(b.first) >= cfg.BatchMaxWait)
}

// pollTimeout is how long Run may wait in Poll: at most until the batch is
// due by age.
func (b *batch) pollTimeout(cfg Config) time.Duration {
	timeout := 100 * time.Millisecond
	if b.msgs > 0 {
		timeout = min(timeout, max(time.Until(b.first.Add(cfg.BatchMaxWait)), time.Millisecond))
	}
	return timeout
}

// commitOffsets is exactly what the batch lets the group commit: the last
// offset + 1 of every partition it read.
func (b *batch) commitOffsets() []kafka.TopicPartition {
	offsets := make([]kafka.TopicPartition, 0, len(b.offsets))
	for tp, off := range b.offsets {
		topic := tp.topic
		offsets = append(offsets, kafka.TopicPartition{Topic: &topic, Partition: tp.partition, Offset: off + 1})
	}
	return offsets
}
