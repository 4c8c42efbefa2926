// Package baseline implements what Footprint is measured against: the raw
// speed of each component underneath (a bare confluent-kafka-go producer, a
// bare pgx COPY, a bare ClickHouse native batch insert) and the original
// system's design (consume one message, INSERT it, commit its offset).
package baseline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/bench/internal/gen"
)

// ProducerConfig mirrors the collector's producer settings so the raw
// producer differs from it only by what the collector adds on top.
type ProducerConfig struct {
	Brokers     string
	Topic       string
	Compression string
	LingerMs    int
	// InFlight bounds the messages produced but not yet acknowledged, so the
	// local queue never overflows.
	InFlight int
	// Progress, when set, is called now and then with the acknowledged count.
	Progress func(acked int)
}

// Produce sends msgs to the topic with an idempotent acks=all producer and
// returns when every message is acknowledged. The first message is a
// warm-up (connection, metadata, producer id) and is not timed: the
// duration runs from the second Produce to the last delivery report, and
// timed is the number of messages it covers.
func Produce(ctx context.Context, cfg ProducerConfig, msgs []gen.Message) (timed int, d time.Duration, err error) {
	if len(msgs) < 2 {
		return 0, 0, errors.New("produce: need at least two messages")
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 100_000
	}
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers": cfg.Brokers,
		// The same durability as the collector: idempotent, acknowledged by all ISRs.
		"enable.idempotence": true,
		"acks":               "all",
		// The same compression and batching as the collector.
		"compression.type": cfg.Compression,
		"linger.ms":        cfg.LingerMs,
		"batch.size":       1 << 20,
		// Room for InFlight messages: we bound them ourselves.
		"queue.buffering.max.messages": cfg.InFlight + 1000,
		"queue.buffering.max.kbytes":   1 << 20,
		// Delivery reports need only the status: do not copy values back.
		"go.delivery.report.fields": "none",
		"client.id":                 "footprint-bench-raw-producer",
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create producer: %w", err)
	}
	defer p.Close()
	headers := make([]kafka.Header, 0, 3)
	for _, h := range gen.Headers() {
		headers = append(headers, kafka.Header{Key: h[0], Value: []byte(h[1])})
	}
	topic := cfg.Topic
	warm := make(chan kafka.Event, 1)
	if err := p.Produce(&kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
		Key:            msgs[0].Key, Value: msgs[0].Value, Headers: headers,
	}, warm); err != nil {
		return 0, 0, fmt.Errorf("produce: %w", err)
	}
	select {
	case ev := <-warm:
		if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error != nil {
			return 0, 0, fmt.Errorf("delivery: %w", m.TopicPartition.Error)
		}
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	msgs = msgs[1:]
	reports := make(chan kafka.Event, cfg.InFlight)
	slots := make(chan struct{}, cfg.InFlight)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		acked := 0
		for acked < len(msgs) {
			var ev kafka.Event
			select {
			case ev = <-reports:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			m, ok := ev.(*kafka.Message)
			if !ok {
				continue
			}
			if m.TopicPartition.Error != nil {
				errc <- fmt.Errorf("delivery: %w", m.TopicPartition.Error)
				return
			}
			acked++
			<-slots
			if cfg.Progress != nil && acked%100_000 == 0 {
				cfg.Progress(acked)
			}
		}
	}()
	start := time.Now()
	for i := range msgs {
		select {
		case slots <- struct{}{}:
		case <-done:
			return 0, 0, producerErr(errc)
		}
		msg := &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key:            msgs[i].Key,
			Value:          msgs[i].Value,
			Headers:        headers,
		}
		// librdkafka can report its queue full a little before our own
		// in-flight bound is reached (it counts messages until their
		// delivery report is handed over): back off briefly and retry.
		for {
			err := p.Produce(msg, reports)
			if err == nil {
				break
			}
			var kerr kafka.Error
			if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrQueueFull {
				return 0, 0, fmt.Errorf("produce: %w", err)
			}
			select {
			case <-time.After(time.Millisecond):
			case <-done:
				return 0, 0, producerErr(errc)
			}
		}
	}
	<-done
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return 0, 0, err
	default:
	}
	return len(msgs), elapsed, nil
}

func producerErr(errc chan error) error {
	select {
	case err := <-errc:
		return err
	default:
		return errors.New("producer stopped early")
	}
}
