// Package kafkaio holds the command's Kafka plumbing: a reader of a topic's
// current contents (no consumer group, nothing committed), watermarks,
// committed offsets of a group, and a producer that confirms delivery.
package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// requestTimeout bounds one metadata, watermark or offset request.
const requestTimeout = 10 * time.Second

// readerConfig is a consumer that reads assigned partitions and never
// joins or commits for a group: every option with its reason.
func readerConfig(brokers string) *kafka.ConfigMap {
	return &kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": brokers,
		// librdkafka wants a group id even for assign(); it is never joined
		// (no subscribe) and nothing is committed for it.
		"group.id": "footprint-cli-reader",
		// An operations read must never move anyone's offsets.
		"enable.auto.commit": false,
		// The reader says exactly where to start; this only applies to an
		// offset that has fallen out of retention.
		"auto.offset.reset": "earliest",
		// Reading "the current contents" ends at each partition's end: the
		// EOF event says so, also when the last offset is a control record.
		"enable.partition.eof": true,
		// Same view as the writers, which read committed only.
		"isolation.level": "read_committed",
		// No KIP-714 client telemetry: only log noise for a short-lived tool.
		"enable.metrics.push": false,
	}
}

// Reader reads partitions of topics outside any consumer group.
type Reader struct {
	brokers string
	c       *kafka.Consumer
}

// NewReader connects a reader.
func NewReader(brokers string) (*Reader, error) {
	c, err := kafka.NewConsumer(readerConfig(brokers))
	if err != nil {
		return nil, fmt.Errorf("kafka reader: %w", err)
	}
	return &Reader{brokers: brokers, c: c}, nil
}

// Close closes the reader.
func (r *Reader) Close() { _ = r.c.Close() }

// Partitions returns the partition ids of topic.
func (r *Reader) Partitions(topic string) ([]int32, error) {
	md, err := r.c.GetMetadata(&topic, false, int(requestTimeout/time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() != kafka.ErrNoError {
		return nil, fmt.Errorf("topic %s: %v", topic, t.Error)
	}
	ids := make([]int32, len(t.Partitions))
	for i, p := range t.Partitions {
		ids[i] = p.ID
	}
	return ids, nil
}

// Watermarks returns the low and high watermark of one partition: the
// first offset still kept and the offset the next message will get.
func (r *Reader) Watermarks(topic string, partition int32) (low, high int64, err error) {
	low, high, err = r.c.QueryWatermarkOffsets(topic, partition, int(requestTimeout/time.Millisecond))
	if err != nil {
		return 0, 0, fmt.Errorf("watermarks of %s/%d: %w", topic, partition, err)
	}
	return low, high, nil
}

// OffsetsForTime returns, per partition, the first offset whose timestamp
// is at or after t (the high watermark where there is none).
func (r *Reader) OffsetsForTime(topic string, partitions []int32, t time.Time) (map[int32]int64, error) {
	tps := make([]kafka.TopicPartition, len(partitions))
	for i, p := range partitions {
		tps[i] = kafka.TopicPartition{Topic: &topic, Partition: p, Offset: kafka.Offset(t.UnixMilli())}
	}
	res, err := r.c.OffsetsForTimes(tps, int(requestTimeout/time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("offsets for %s of %s: %w", t.Format(time.RFC3339), topic, err)
	}
	out := make(map[int32]int64, len(res))
	for _, tp := range res {
		off := int64(tp.Offset)
		if off < 0 { // no message at or after t
			if _, off, err = r.Watermarks(topic, tp.Partition); err != nil {
				return nil, err
			}
		}
		out[tp.Partition] = off
	}
	return out, nil
}

// Range is where a read starts in one partition; it ends at the partition's
// end at the time of reading.
type Range struct {
	Partition int32
	From      int64
	// Max stops the partition after this many messages (0: no limit).
	Max int
}

// Read delivers the messages of topic from each range's start to the
// partition's end, in partition order per partition, then returns.
func (r *Reader) Read(ctx context.Context, topic string, ranges []Range, visit func(*kafka.Message) error) error {
	if len(ranges) == 0 {
		return nil
	}
	tps := make([]kafka.TopicPartition, len(ranges))
	open := make(map[int32]int, len(ranges))
	for i, rg := range ranges {
		tps[i] = kafka.TopicPartition{Topic: &topic, Partition: rg.Partition, Offset: kafka.Offset(rg.From)}
		open[rg.Partition] = rg.Max
		if rg.Max == 0 {
			open[rg.Partition] = -1
		}
	}
	if err := r.c.Assign(tps); err != nil {
		return fmt.Errorf("assign %s: %w", topic, err)
	}
	defer func() { _ = r.c.Unassign() }()
	for len(open) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		switch e := r.c.Poll(100).(type) {
		case *kafka.Message:
			left, ok := open[e.TopicPartition.Partition]
			if !ok {
				continue
			}
			if err := visit(e); err != nil {
				return err
			}
			if left > 0 {
				if left == 1 {
					delete(open, e.TopicPartition.Partition)
				} else {
					open[e.TopicPartition.Partition] = left - 1
				}
			}
		case kafka.PartitionEOF:
			delete(open, e.Partition)
		case kafka.Error:
			if e.IsFatal() || e.Code() == kafka.ErrUnknownTopicOrPart {
				return fmt.Errorf("read %s: %w", topic, e)
			}
		}
	}
	return nil
}

// ReadAll delivers every message topic holds now.
func (r *Reader) ReadAll(ctx context.Context, topic string, visit func(*kafka.Message) error) error {
	parts, err := r.Partitions(topic)
	if err != nil {
		return err
	}
	ranges := make([]Range, len(parts))
	for i, p := range parts {
		ranges[i] = Range{Partition: p, From: int64(kafka.OffsetBeginning)}
	}
	return r.Read(ctx, topic, ranges, visit)
}

// ReadAt returns the message at partition:offset of topic.
func (r *Reader) ReadAt(ctx context.Context, topic string, partition int32, offset int64) (*kafka.Message, error) {
	var got *kafka.Message
	err := r.Read(ctx, topic, []Range{{Partition: partition, From: offset, Max: 1}}, func(m *kafka.Message) error {
		got = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	if got == nil || int64(got.TopicPartition.Offset) != offset {
		return nil, fmt.Errorf("%w: %s %d:%d", ErrNoMessage, topic, partition, offset)
	}
	return got, nil
}

// ErrNoMessage is returned by ReadAt when the offset holds no message.
var ErrNoMessage = errors.New("no message at that offset")

// Committed returns the offsets group has committed on topic, by partition
// (partitions without a commit are absent). It asks through a consumer in
// the group that never joins it (no subscribe) and commits nothing, not
// through the admin client: librdkafka's ListConsumerGroupOffsets crashes
// the process (SIGSEGV in rd_kafka_handle_OffsetFetch: it queries the
// coordinator through a consumer-group handle the admin client does not
// have, librdkafka issue #5040) when the group coordinator answers with an
// error, as "coordinator load in progress" on a freshly started broker.
func (r *Reader) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	parts, err := r.Partitions(topic)
	if err != nil {
		return nil, err
	}
	cm := readerConfig(r.brokers)
	if err := cm.SetKey("group.id", group); err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	c, err := kafka.NewConsumer(cm)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	defer func() { _ = c.Close() }()
	tps := make([]kafka.TopicPartition, len(parts))
	for i, p := range parts {
		tps[i] = kafka.TopicPartition{Topic: &topic, Partition: p}
	}
	res, err := committedRetrying(ctx, c, tps)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	out := map[int32]int64{}
	for _, tp := range res {
		if tp.Error != nil {
			return nil, fmt.Errorf("committed offsets of %s: %w", group, tp.Error)
		}
		if tp.Offset >= 0 {
			out[tp.Partition] = int64(tp.Offset)
		}
	}
	return out, nil
}

// coordinatorRetry is the pause between asks while the group coordinator
// is not ready.
const coordinatorRetry = 100 * time.Millisecond

// committedRetrying asks c for the committed offsets of tps, again while
// the coordinator is still loading or moving (a fresh broker), for up to
// requestTimeout or ctx's end.
func committedRetrying(ctx context.Context, c *kafka.Consumer, tps []kafka.TopicPartition) ([]kafka.TopicPartition, error) {
	deadline := time.Now().Add(requestTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	for {
		left := time.Until(deadline)
		res, err := c.Committed(tps, int(max(left, time.Millisecond)/time.Millisecond))
		var kerr kafka.Error
		if err == nil || !errors.As(err, &kerr) || !coordinatorNotReady(kerr.Code()) || left < coordinatorRetry {
			return res, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(coordinatorRetry):
		}
	}
}

// coordinatorNotReady reports the errors of a coordinator that is loading
// or moving: asking again shortly succeeds.
func coordinatorNotReady(c kafka.ErrorCode) bool {
	switch c {
	case kafka.ErrCoordinatorLoadInProgress, kafka.ErrCoordinatorNotAvailable, kafka.ErrNotCoordinator, kafka.ErrTimedOut:
		return true
	}
	return false
}

// producerConfig is the command's producer (erasure and audit records,
// redriven dead letters): every option with its reason.
func producerConfig(brokers string) *kafka.ConfigMap {
	return &kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": brokers,
		// Shows up in broker logs.
		"client.id": "footprint-cli",
		// A record the command reports as written must be on every in-sync replica.
		"acks": "all",
		// Retries never duplicate or reorder what the command writes.
		"enable.idempotence": true,
		// The command waits for each delivery; a bound makes it fail instead of hang.
		"message.timeout.ms": 30000,
		// A handful of records, sent at once.
		"linger.ms": 0,
		// No KIP-714 client telemetry.
		"enable.metrics.push": false,
	}
}

// Producer produces messages and waits for each delivery.
type Producer struct {
	p *kafka.Producer
}

// NewProducer connects a producer.
func NewProducer(brokers string) (*Producer, error) {
	p, err := kafka.NewProducer(producerConfig(brokers))
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	go func() {
		for range p.Events() { // errors are reported per delivery
		}
	}()
	return &Producer{p: p}, nil
}

// Close flushes and closes the producer.
func (p *Producer) Close() {
	p.p.Flush(10_000)
	p.p.Close()
}

// Send produces msg and returns once Kafka has it (or not).
func (p *Producer) Send(ctx context.Context, msg *kafka.Message) (kafka.TopicPartition, error) {
	ch := make(chan kafka.Event, 1)
	if err := p.p.Produce(msg, ch); err != nil {
		return kafka.TopicPartition{}, fmt.Errorf("produce to %s: %w", *msg.TopicPartition.Topic, err)
	}
	select {
	case e := <-ch:
		m, ok := e.(*kafka.Message)
		if !ok {
			return kafka.TopicPartition{}, fmt.Errorf("produce to %s: unexpected report %v", *msg.TopicPartition.Topic, e)
		}
		if m.TopicPartition.Error != nil {
			return m.TopicPartition, fmt.Errorf("produce to %s: %w", *msg.TopicPartition.Topic, m.TopicPartition.Error)
		}
		return m.TopicPartition, nil
	case <-ctx.Done():
		return kafka.TopicPartition{}, fmt.Errorf("produce to %s: %w", *msg.TopicPartition.Topic, ctx.Err())
	}
}
