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
//     membership, rebalances), nothing is skipped, memory stays bounded by one
//     batch plus librdkafka's prefetch, and consumption resumes by itself.
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/footprint/footprint/internal/wire"
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

// dlqDeliveryTimeout bounds a DLQ delivery; it matches the producer's
// message.timeout.ms plus slack, after which the delivery report must exist.
const dlqMessageTimeout = 30 * time.Second

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
	carry            []*kafka.Message // polled while paused, processed after the batch
	paused           []kafka.TopicPartition
	inFlush          bool
	dropped          bool // a revocation dropped the batch while it was being flushed
	shutdownDeadline time.Time
}

type tpKey struct {
	topic     string
	partition int32
}

type dlqPending struct {
	msg    *kafka.Message
	reason string
	ch     chan kafka.Event
	err    error // set when Produce itself failed
	done   bool
}

type batch struct {
	events  []*eventv1.Event
	evMsgs  []*kafka.Message // evMsgs[i] carried events[i], for the DLQ if the store rejects it
	seen    map[string]struct{}
	offsets map[tpKey]kafka.Offset // highest offset in the batch per partition
	dlq     []*dlqPending
	msgs    int
	bytes   int
	first   time.Time
}

func (b *batch) reset() {
	*b = batch{seen: make(map[string]struct{}), offsets: make(map[tpKey]kafka.Offset)}
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
	sessionMs := int(cfg.SessionTimeout / time.Millisecond)
	consumer, err := kafka.NewConsumer(&kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": cfg.Brokers,
		// One group per writer kind: pg-writer and ch-writer each read every
		// event; replicas of one writer split the partitions.
		"group.id": cfg.Group,
		// Shows up in broker logs and group descriptions.
		"client.id": cfg.Group,
		// We commit explicit offsets ourselves, after the store write: an
		// automatic commit could cover messages not yet stored.
		"enable.auto.commit": false,
		// Offsets are never "stored" for a background commit either; we pass
		// explicit offsets to CommitOffsets.
		"enable.auto.offset.store": false,
		// A new group starts at the beginning: a writer must never skip data
		// that was produced before it first joined.
		"auto.offset.reset": "earliest",
		// Never store events of aborted transactions if a producer ever uses
		// them; for the idempotent non-transactional collector this changes
		// nothing.
		"isolation.level": "read_committed",
		// Eager (stop-the-world) assignment: on a rebalance every partition is
		// revoked, so the loop flushes or drops its one batch as a whole and
		// starts clean from the committed offsets. Cooperative-sticky would
		// move fewer partitions but would force per-partition batch surgery;
		// a revocation costs at most one batch write here.
		"partition.assignment.strategy": "roundrobin",
		// A killed replica's partitions move to the others within this time.
		// Heartbeats run on librdkafka's own thread, so a long store write
		// does not expire the session.
		"session.timeout.ms":    sessionMs,
		"heartbeat.interval.ms": max(sessionMs/3, 100),
		// The loop polls during outages and writes are bounded by
		// WriteTimeout, so 5 minutes only trips on a wedged process.
		"max.poll.interval.ms": 300000,
		// Big fetches for throughput: up to 50 MiB per request, 8 MiB per
		// partition, and wait up to 100 ms for 64 KiB to avoid tiny fetches.
		"fetch.max.bytes":           50 << 20,
		"max.partition.fetch.bytes": 8 << 20,
		"fetch.min.bytes":           64 << 10,
		"fetch.wait.max.ms":         100,
		// Bounds the prefetch queue (and so memory while partitions are
		// paused) to 64 MiB per consumer.
		"queued.max.messages.kbytes": 64 << 10,
		// End of partition is not an event we act on.
		"enable.partition.eof": false,
		// No KIP-714 client telemetry: we export our own metrics, and the
		// negotiation only adds log noise.
		"enable.metrics.push": false,
	})
	if err != nil {
		return nil, fmt.Errorf("create kafka consumer: %w", err)
	}
	producer, err := kafka.NewProducer(&kafka.ConfigMap{
		// Same cluster as the source topic.
		"bootstrap.servers": cfg.Brokers,
		// Shows up in broker logs.
		"client.id": cfg.Group + "-dlq",
		// A dead letter is committed past only when it is durable: all
		// in-sync replicas must have it.
		"acks": "all",
		// Retries never duplicate or reorder dead letters.
		"enable.idempotence": true,
		// Delivery reports arrive within this bound, so a flush never waits
		// forever for the DLQ; a failure is retried by the loop.
		"message.timeout.ms": int(dlqMessageTimeout / time.Millisecond),
		// Dead letters are rare; send them at once.
		"linger.ms": 0,
		// See the consumer: no KIP-714 telemetry.
		"enable.metrics.push": false,
	})
	if err != nil {
		consumer.Close()
		return nil, fmt.Errorf("create kafka dlq producer: %w", err)
	}
	l := &Loop{cfg: cfg, store: store, dec: dec, log: logger, m: m, consumer: consumer, producer: producer}
	l.b.reset()
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
		timeout := 100 * time.Millisecond
		if l.b.msgs > 0 {
			timeout = min(timeout, max(time.Until(l.b.first.Add(l.cfg.BatchMaxWait)), time.Millisecond))
		}
		if err := l.handle(l.consumer.Poll(int(timeout / time.Millisecond))); err != nil {
			return err
		}
		// The count limit is on messages (duplicates and dead letters
		// included) so memory stays bounded whatever the mix.
		if l.b.msgs > 0 && (l.b.msgs >= l.cfg.BatchMaxEvents || l.b.bytes >= l.cfg.BatchMaxBytes ||
			time.Since(l.b.first) >= l.cfg.BatchMaxWait) {
			if err := l.flush(ctx, true); err != nil {
				return err
			}
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
		l.add(e)
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

// add puts one message into the batch, or sends it to the DLQ.
func (l *Loop) add(msg *kafka.Message) {
	l.m.consumed.Inc()
	if l.b.msgs == 0 {
		l.b.first = time.Now()
	}
	l.b.msgs++
	l.b.bytes += len(msg.Value)
	tp := tpKey{*msg.TopicPartition.Topic, msg.TopicPartition.Partition}
	if cur, ok := l.b.offsets[tp]; !ok || msg.TopicPartition.Offset > cur {
		l.b.offsets[tp] = msg.TopicPartition.Offset
	}
	ev, err := l.dec.Decode(msg.Value)
	if err != nil {
		d := &dlqPending{msg: msg, reason: strings.ReplaceAll(err.Error(), "\n", "; ")}
		l.produceDLQ(d)
		l.b.dlq = append(l.b.dlq, d)
		l.log.Warn("poison message sent to dlq", "partition", tp.partition, "offset", int64(msg.TopicPartition.Offset), "reason", d.reason)
		return
	}
	// Redelivered or retried copies in one batch are written once; the
	// store deduplicates across batches.
	if _, dup := l.b.seen[ev.GetEventId()]; dup {
		return
	}
	l.b.seen[ev.GetEventId()] = struct{}{}
	l.b.events = append(l.b.events, ev)
	l.b.evMsgs = append(l.b.evMsgs, msg)
}

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

// flush writes the batch, waits for its dead letters, commits its offsets and
// resets it. With retry it keeps trying (partitions paused) until it succeeds,
// the batch is dropped by a revocation, or the shutdown deadline passes; it
// returns an error only in that last case. Without retry (inside a revocation)
// any failure drops the batch.
func (l *Loop) flush(ctx context.Context, retry bool) error {
	if l.b.msgs == 0 {
		return nil
	}
	l.inFlush, l.dropped = true, false
	defer func() { l.inFlush = false }()

	backoff := l.cfg.RetryInitial
	// fail records a failed step and, when retrying, waits with backoff.
	// It reports whether the flush should go on trying.
	fail := func(step string, err error) (bool, error) {
		l.log.Warn("batch step failed", "step", step, "err", err, "events", len(l.b.events), "retry_in", backoff.String())
		if !retry {
			l.drop("revoked after failed " + step)
			return false, nil
		}
		l.pauseAll()
		if werr := l.wait(ctx, backoff); werr != nil {
			return false, werr
		}
		backoff = min(backoff*2, l.cfg.RetryMax)
		return !l.dropped, nil
	}

	// 1. The store.
	for len(l.b.events) > 0 {
		start := time.Now()
		rejected, err := l.writeIsolating(l.b.events)
		if err == nil {
			l.m.writeSecs.Observe(time.Since(start).Seconds())
			l.m.batchSize.Observe(float64(len(l.b.events)))
			l.m.written.Add(float64(len(l.b.events) - len(rejected)))
			if l.storeErr.Swap(nil) != nil {
				l.log.Info("store is back")
			}
			l.m.storeUp.Set(1)
			for i, reason := range rejected {
				d := &dlqPending{msg: l.b.evMsgs[i], reason: "store rejected: " + strings.ReplaceAll(reason.Error(), "\n", "; ")}
				l.produceDLQ(d)
				l.b.dlq = append(l.b.dlq, d)
				l.log.Warn("event rejected by the store sent to dlq", "event_id", l.b.events[i].GetEventId(), "reason", d.reason)
			}
			break
		}
		l.m.writeErrs.Inc()
		msg := err.Error()
		l.storeErr.Store(&msg)
		l.m.storeUp.Set(0)
		if ok, ferr := fail("store write", err); !ok {
			return ferr
		}
	}

	// 2. The dead letters: committing past them needs them durable.
	for _, d := range l.b.dlq {
		for {
			err := l.awaitDLQ(d)
			if err == nil {
				break
			}
			if ok, ferr := fail("dlq delivery", err); !ok {
				return ferr
			}
			l.produceDLQ(d)
		}
	}

	// 3. Exactly the offsets written: last offset + 1 per partition.
	offsets := make([]kafka.TopicPartition, 0, len(l.b.offsets))
	for tp, off := range l.b.offsets {
		topic := tp.topic
		offsets = append(offsets, kafka.TopicPartition{Topic: &topic, Partition: tp.partition, Offset: off + 1})
	}
	for {
		start := time.Now()
		_, err := l.consumer.CommitOffsets(offsets)
		if err == nil {
			l.m.commitSecs.Observe(time.Since(start).Seconds())
			break
		}
		var kerr kafka.Error
		if errors.As(err, &kerr) && isGenerationLost(kerr.Code()) {
			// The partitions belong to someone else now; the batch is in
			// the store, the new owner re-reads it and the store dedups.
			l.log.Warn("commit rejected after rebalance; new owner re-reads the batch", "err", err)
			break
		}
		if ok, ferr := fail("commit", err); !ok {
			return ferr
		}
	}
	l.updateLag(offsets)

	carry := l.carry
	l.carry = nil
	l.b.reset()
	l.resumeAll()
	for _, msg := range carry {
		l.add(msg)
	}
	return nil
}

// writeIsolating writes events; when the store rejects the data it bisects
// until the rejected events are single, and returns their indexes with the
// store's reason. Halves already written are written again on the next try,
// which the store's dedup makes harmless. Any other error is returned as is.
func (l *Loop) writeIsolating(events []*eventv1.Event) (map[int]error, error) {
	rejected := map[int]error{}
	var write func(lo, hi int) error
	write = func(lo, hi int) error {
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.WriteTimeout)
		err := l.store.WriteBatch(ctx, events[lo:hi])
		cancel()
		if err == nil || !errors.Is(err, ErrRejected) {
			return err
		}
		if hi-lo == 1 {
			rejected[lo] = err
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := write(lo, mid); err != nil {
			return err
		}
		return write(mid, hi)
	}
	if err := write(0, len(events)); err != nil {
		return nil, err
	}
	return rejected, nil
}

func isGenerationLost(c kafka.ErrorCode) bool {
	switch c {
	case kafka.ErrRebalanceInProgress, kafka.ErrUnknownMemberID, kafka.ErrIllegalGeneration, kafka.ErrAssignmentLost, kafka.ErrState:
		return true
	}
	return false
}

// wait keeps the consumer polled (group membership, rebalances) for d while
// the partitions are paused. Messages polled meanwhile (already prefetched
// before the pause took effect) are kept for after the batch, in order.
func (l *Loop) wait(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if ctx.Err() != nil && l.shutdownDeadline.IsZero() {
			l.shutdownDeadline = time.Now().Add(l.cfg.ShutdownTimeout)
		}
		if !l.shutdownDeadline.IsZero() && time.Now().After(l.shutdownDeadline) {
			return ErrShutdownTimeout
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		ev := l.consumer.Poll(int(min(left, 100*time.Millisecond)/time.Millisecond) + 1)
		switch e := ev.(type) {
		case *kafka.Message:
			if e.TopicPartition.Error == nil {
				l.carry = append(l.carry, e)
			}
		case kafka.Error:
			if e.IsFatal() {
				return fmt.Errorf("kafka consumer fatal: %w", e)
			}
			l.log.Warn("kafka consumer error", "err", e)
		}
		if l.dropped {
			return nil
		}
	}
}

func (l *Loop) pauseAll() {
	if l.paused != nil {
		return
	}
	parts, err := l.consumer.Assignment()
	if err != nil || len(parts) == 0 {
		return
	}
	if err := l.consumer.Pause(parts); err != nil {
		l.log.Warn("pause partitions", "err", err)
		return
	}
	l.paused = parts
	l.log.Warn("store unavailable: partitions paused", "partitions", len(parts))
}

func (l *Loop) resumeAll() {
	if l.paused == nil {
		return
	}
	if err := l.consumer.Resume(l.paused); err != nil {
		l.log.Warn("resume partitions", "err", err)
	}
	l.log.Info("partitions resumed", "partitions", len(l.paused))
	l.paused = nil
}

// drop forgets the uncommitted batch so the next owner re-reads it.
func (l *Loop) drop(why string) {
	if l.b.msgs > 0 || len(l.carry) > 0 {
		l.log.Warn("dropping uncommitted batch; it will be re-read", "why", why, "messages", l.b.msgs+len(l.carry))
	}
	l.b.reset()
	l.carry = nil
	l.dropped = true
}

// rebalance is the eager rebalance callback; librdkafka performs the actual
// assign/unassign after it returns (we do not call Assign ourselves).
func (l *Loop) rebalance(c *kafka.Consumer, ev kafka.Event) error {
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		l.log.Info("partitions assigned", "partitions", partitionList(e.Partitions))
	case kafka.RevokedPartitions:
		l.log.Info("partitions revoked", "partitions", partitionList(e.Partitions), "lost", c.AssignmentLost())
		switch {
		case l.inFlush:
			// Revoked while retrying a failing store: give the batch up.
			l.drop("revoked during store outage")
		case c.AssignmentLost():
			l.drop("assignment lost")
		case l.b.msgs > 0:
			// Still ours: one attempt to write and commit, else drop.
			_ = l.flush(context.Background(), false)
			l.drop("revoked")
		}
		l.dropped = l.inFlush // only a flush in progress needs to learn about it
		l.paused = nil
		for _, p := range e.Partitions {
			l.m.lag.DeleteLabelValues(*p.Topic, strconv.Itoa(int(p.Partition)))
		}
	}
	return nil
}

func (l *Loop) updateLag(offsets []kafka.TopicPartition) {
	for _, tp := range offsets {
		_, high, err := l.consumer.GetWatermarkOffsets(*tp.Topic, tp.Partition)
		if err != nil || high < 0 {
			continue
		}
		l.m.lag.WithLabelValues(*tp.Topic, strconv.Itoa(int(tp.Partition))).Set(float64(max(high-int64(tp.Offset), 0)))
	}
}

func (l *Loop) drainProducerEvents() {
	for ev := range l.producer.Events() {
		if e, ok := ev.(kafka.Error); ok {
			l.log.Warn("kafka dlq producer error", "err", e)
		}
	}
}

func partitionList(tps []kafka.TopicPartition) string {
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = strconv.Itoa(int(tp.Partition))
	}
	return strings.Join(parts, ",")
}
