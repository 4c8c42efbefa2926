package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/services/notifier/internal/inbox"
)

// Headers of a webhook dead letter besides wire.HeaderDLQError (the reason).
const (
	HeaderDLQEndpoint = "footprint-dlq-endpoint"
	HeaderDLQAttempts = "footprint-dlq-attempts"
)

// dlqTimeout bounds one dead-letter delivery (the producer's message.timeout.ms).
const dlqTimeout = 30 * time.Second

// KafkaDLQ produces dead letters to the notifications dead-letter topic:
// the webhook body as the value, the webhook-id as the key, the reason and
// endpoint as headers.
type KafkaDLQ struct {
	topic    string
	producer *kafka.Producer
}

// NewKafkaDLQ creates the producer.
func NewKafkaDLQ(brokers, topic, clientID string) (*KafkaDLQ, error) {
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		// Same cluster as the events.
		"bootstrap.servers": brokers,
		// Shows up in broker logs.
		"client.id": clientID,
		// A message is marked dead only when the dead letter is durable.
		"acks": "all",
		// Retries never duplicate dead letters.
		"enable.idempotence": true,
		// A delivery report always arrives within this bound, so Send never
		// blocks a worker for long.
		"message.timeout.ms": int(dlqTimeout / time.Millisecond),
		// Dead letters are rare; send them at once.
		"linger.ms": 0,
		// No KIP-714 client telemetry (log noise only).
		"enable.metrics.push": false,
	})
	if err != nil {
		return nil, fmt.Errorf("create dlq producer: %w", err)
	}
	go func() {
		for range p.Events() { // errors surface in the delivery reports
		}
	}()
	return &KafkaDLQ{topic: topic, producer: p}, nil
}

// Send produces one dead letter and waits until it is acknowledged.
func (k *KafkaDLQ) Send(ctx context.Context, d inbox.Delivery, reason string) error {
	ch := make(chan kafka.Event, 1)
	err := k.producer.Produce(&kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &k.topic, Partition: kafka.PartitionAny},
		Key:            []byte(d.WebhookID),
		Value:          d.Payload,
		Headers: []kafka.Header{
			{Key: wire.HeaderDLQError, Value: []byte(reason)},
			{Key: HeaderDLQEndpoint, Value: []byte(d.Endpoint)},
			{Key: HeaderDLQAttempts, Value: []byte(strconv.Itoa(d.Attempt))},
			{Key: HeaderID, Value: []byte(d.WebhookID)},
		},
	}, ch)
	if err != nil {
		return fmt.Errorf("produce dead letter: %w", err)
	}
	select {
	case e := <-ch:
		if m, ok := e.(*kafka.Message); ok && m.TopicPartition.Error != nil {
			return fmt.Errorf("dead letter delivery: %w", m.TopicPartition.Error)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(dlqTimeout + 5*time.Second):
		return errors.New("dead letter delivery: no report within the message timeout")
	}
}

// Close flushes and closes the producer.
func (k *KafkaDLQ) Close() {
	k.producer.Flush(5000)
	k.producer.Close()
}
