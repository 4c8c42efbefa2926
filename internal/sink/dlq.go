package sink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/internal/wire"
)

// dlqMessageTimeout bounds a DLQ delivery: the producer's message.timeout.ms;
// awaitDLQ allows some slack beyond it, after which the delivery report must
// exist.
const dlqMessageTimeout = 30 * time.Second

// dlqPending is one dead letter of the batch, produced and not yet known to
// be durable.
type dlqPending struct {
	msg    *kafka.Message
	reason string
	ch     chan kafka.Event
	err    error // set when Produce itself failed
	done   bool
}

// deadLetter sends msg to the DLQ with reason and keeps it in the batch, so
// the batch commits past msg only once the DLQ has it.
func (l *Loop) deadLetter(msg *kafka.Message, reason string) *dlqPending {
	d := &dlqPending{msg: msg, reason: strings.ReplaceAll(reason, "\n", "; ")}
	l.produceDLQ(d)
	l.b.dlq = append(l.b.dlq, d)
	return d
}

// produceDLQ produces one dead letter: the message as it came, its headers,
// and the DLQ headers that say why and where from.
func (l *Loop) produceDLQ(d *dlqPending) {
	src := d.msg.TopicPartition
	headers := make([]kafka.Header, 0, len(d.msg.Headers)+5)
	headers = append(headers, d.msg.Headers...)
	headers = append(headers,
		kafka.Header{Key: wire.HeaderDLQError, Value: []byte(d.reason)},
		kafka.Header{Key: wire.HeaderDLQTopic, Value: []byte(*src.Topic)},
		kafka.Header{Key: wire.HeaderDLQPartition, Value: []byte(strconv.FormatInt(int64(src.Partition), 10))},
		kafka.Header{Key: wire.HeaderDLQOffset, Value: []byte(strconv.FormatInt(int64(src.Offset), 10))},
		kafka.Header{Key: wire.HeaderDLQWriter, Value: []byte(l.cfg.Group)},
	)
	topic := l.cfg.DLQTopic
	d.ch = make(chan kafka.Event, 1)
	d.err = l.producer.Produce(&kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
		Key:            d.msg.Key,
		Value:          d.msg.Value,
		Headers:        headers,
	}, d.ch)
}

// awaitDLQ waits for the delivery report of one dead letter.
func (l *Loop) awaitDLQ(d *dlqPending) error {
	if d.done {
		return nil
	}
	if d.err != nil {
		return fmt.Errorf("produce to dlq: %w", d.err)
	}
	timer := time.NewTimer(dlqMessageTimeout + 5*time.Second)
	defer timer.Stop()
	select {
	case e := <-d.ch:
		if m, ok := e.(*kafka.Message); ok && m.TopicPartition.Error != nil {
			return fmt.Errorf("dlq delivery: %w", m.TopicPartition.Error)
		}
	case <-timer.C:
		return errors.New("dlq delivery: no report within the message timeout")
	}
	d.done = true
	l.m.dlq.Inc()
	return nil
}

// drainProducerEvents logs the DLQ producer's errors (delivery reports go
// to each message's own channel).
func (l *Loop) drainProducerEvents() {
	for ev := range l.producer.Events() {
		if e, ok := ev.(kafka.Error); ok {
			l.log.Warn("kafka dlq producer error", "err", e)
		}
	}
}
