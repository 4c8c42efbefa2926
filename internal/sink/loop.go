// Package sink is the one consume loop both writers use: it reads events from
// Kafka in a consumer group, cuts batches by count, bytes or time, writes each
// batch to a Store, and only then commits exactly the offsets it wrote.
//
// Guarantees, and how they are kept:
//   - Nothing is committed that is not in the store: offsets are committed
//     explicitly (last written offset+1 per partition) after WriteBatch and the
//     DLQ deliveries of the batch succeeded. Auto commit and auto offset store
//     are off.
//   - Redelivery is harmless: stores deduplicate on event_id, so a batch
//     written but not committed (crash, rebalance) is written again safely.
//   - Store outage: the assigned partitions are paused, the batch is retried
//     with capped exponential backoff while the consumer keeps polling (group
//     membership, rebalances), nothing is skipped, memory stays bounded by two
//     batches (the one written and the next, decoded meanwhile: pipeline.go)
//     plus librdkafka's prefetch, and consumption resumes by itself.
//   - Poison messages go to the DLQ topic with headers from internal/wire;
//     their offsets are committed only after the DLQ acknowledged them, so the
//     partition keeps flowing and nothing vanishes.
//   - Rebalance: on revocation the batch is written and committed if the store
//     takes it at once, otherwise dropped, so the new owner re-reads it.
//   - Shutdown (ctx cancelled): the current batch is written and committed,
//     then the consumer leaves the group.
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrRejected marks a WriteBatch error caused by the data of the batch; see
// sinkerr.ErrRejected (the same value), which stores wrap without importing
// this package.
var ErrRejected = sinkerr.ErrRejected

// Store is what a writer implements: one idempotent batch write (an event
// already stored, by event_id, must not be stored twice) and a health check.
type Store interface {
	// WriteBatch stores all events or returns an error; it may be called
	// again with the same events after an error or a crash.
	WriteBatch(ctx context.Context, events []*eventv1.Event) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// ErrShutdownTimeout is returned by Run when the store did not take the last
// batch within Config.ShutdownTimeout after ctx was cancelled. Nothing of that
// batch was committed; the next run re-reads it.
var ErrShutdownTimeout = errors.New("sink: store unavailable until the shutdown timeout, batch not committed")

// Loop is the consume loop. Create it with New and run it with Run.
type Loop struct {
	cfg      Config
	store    Store
	dec      *Decoder
	log      *slog.Logger
	m        *metrics
	consumer *kafka.Consumer
	producer *kafka.Producer

	running  atomic.Bool
	storeErr atomic.Pointer[string] // non-nil while the store is failing

	// State below is owned by the goroutine in Run (the rebalance callback
	// runs inside Poll on that goroutine).
	b                batch
	carry            carried          // polled during the flush (pipeline.go), processed after the batch
	inflight         chan writeResult // the write in flight while the flush polls (pipeline.go)
	paused           []kafka.TopicPartition
	inFlush          bool
	dropped          bool // a revocation dropped the batch while it was being flushed
	shutdownDeadline time.Time

	opsState // erasure view and oldest-unwritten age (opshooks.go)
}

// New builds the loop: its Kafka consumer, its DLQ producer and its metrics
// (registered on reg).
func New(cfg Config, store Store, reg prometheus.Registerer, logger *slog.Logger) (*Loop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dec, err := NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(reg, cfg.Writer)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	consumer, producer, err := newClients(cfg, logger)
	if err != nil {
		return nil, err
	}
	l := &Loop{cfg: cfg, store: store, dec: dec, log: logger, m: m, consumer: consumer, producer: producer}
	l.b.reset()
	if l.opsState, err = newOpsState(cfg, reg, logger); err != nil {
		consumer.Close()
		producer.Close()
		return nil, err
	}
	return l, nil
}

// Ready reports nil while the loop runs and the store takes writes.
func (l *Loop) Ready(ctx context.Context) error {
	if !l.running.Load() {
		return errors.New("consume loop not running")
	}
	if e := l.storeErr.Load(); e != nil {
		return fmt.Errorf("store unavailable: %s", *e)
	}
	if err := l.store.Ping(ctx); err != nil {
		return fmt.Errorf("store ping: %w", err)
	}
	return nil
}

// Run consumes until ctx is cancelled, then writes and commits the current
// batch and leaves the group. It returns nil after a clean shutdown.
func (l *Loop) Run(ctx context.Context) (err error) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); l.drainProducerEvents() }()
	defer func() {
		if cerr := l.consumer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close consumer: %w", cerr)
		}
		l.producer.Flush(5000)
		l.producer.Close()
		l.closeOps()
		wg.Wait()
	}()
	if err := l.consumer.SubscribeTopics([]string{l.cfg.Topic}, l.rebalance); err != nil {
		return fmt.Errorf("subscribe %s: %w", l.cfg.Topic, err)
	}
	l.running.Store(true)
	defer l.running.Store(false)
	l.log.Info("consume loop started", "topic", l.cfg.Topic, "group", l.cfg.Group, "dlq", l.cfg.DLQTopic,
		"batch_max_events", l.cfg.BatchMaxEvents, "batch_max_bytes", l.cfg.BatchMaxBytes, "batch_max_wait", l.cfg.BatchMaxWait.String())
	for {
		if ctx.Err() != nil {
			return l.shutdown(ctx)
		}
		// Due is checked before the next poll: a flush may leave a full
		// batch behind (the messages it decoded while writing, pipeline.go).
		if l.b.due(l.cfg) {
			if err := l.flush(ctx, true); err != nil {
				return err
			}
			continue
		}
		if err := l.handle(l.consumer.Poll(int(l.b.pollTimeout(l.cfg) / time.Millisecond))); err != nil {
			return err
		}
	}
}

func (l *Loop) shutdown(ctx context.Context) error {
	l.log.Info("shutting down: writing and committing the current batch", "messages", l.b.msgs)
	for l.b.msgs > 0 {
		if err := l.flush(ctx, true); err != nil {
			return err
		}
	}
	return nil
}

// handle processes one polled event; it returns only fatal errors.
func (l *Loop) handle(ev kafka.Event) error {
	switch e := ev.(type) {
	case nil:
	case *kafka.Message:
		if e.TopicPartition.Error != nil {
			l.log.Warn("consume error", "err", e.TopicPartition.Error)
			return nil
		}
		l.add(l.decode(e))
	case kafka.Error:
		if e.IsFatal() {
			return fmt.Errorf("kafka consumer fatal: %w", e)
		}
		// Transient (broker down, all brokers down, ...): librdkafka
		// reconnects by itself.
		l.log.Warn("kafka consumer error", "err", e, "code", e.Code().String())
	}
	return nil
}

// add puts one decoded message into the batch, or sends it to the DLQ.
func (l *Loop) add(p polled) {
	msg := p.msg
	l.m.consumed.Inc()
	l.age.consumed(msg)
	tp := l.b.count(msg, p.at)
	if p.err != nil {
		d := l.deadLetter(msg, p.err.Error())
		l.log.Warn("poison message sent to dlq", "partition", tp.partition, "offset", int64(msg.TopicPartition.Offset), "reason", d.reason)
		return
	}
	l.b.addEvent(p.ev, msg)
}
