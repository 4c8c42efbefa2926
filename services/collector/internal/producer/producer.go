// Package producer writes events to Kafka and reports back only what the
// broker acknowledged (acks=all), per call.
package producer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/footprint/footprint/internal/kafkalog"
	"github.com/footprint/footprint/internal/wire"
)

// Errors of ProduceBatch, by kind; the gRPC edge maps them to status codes.
var (
	// ErrQueueFull: the bounded local queue has no room; nothing waits for room.
	ErrQueueFull = errors.New("producer queue is full")
	// ErrNotAcknowledged: Kafka did not acknowledge every message before the
	// deadline, or reported a delivery failure. Some messages may still land.
	ErrNotAcknowledged = errors.New("kafka did not acknowledge the events")
	// ErrClosed: the producer is shutting down.
	ErrClosed = errors.New("producer is closed")
)

// Named configuration errors, joined by Config.Validate.
var (
	ErrBrokersRequired  = errors.New("producer: kafka brokers are required")
	ErrTopicRequired    = errors.New("producer: kafka topic is required")
	ErrCompression      = errors.New("producer: compression must be one of none, gzip, snappy, lz4, zstd")
	ErrLinger           = errors.New("producer: linger must be between 0 and 1s")
	ErrQueueMessages    = errors.New("producer: queue max messages must be at least 1")
	ErrQueueKBytes      = errors.New("producer: queue max kbytes must be at least 1")
	ErrMessageTimeout   = errors.New("producer: message timeout must be at least 1s")
	ErrAckTimeout       = errors.New("producer: ack timeout must be positive")
	ErrReadinessTimeout = errors.New("producer: readiness timeout and cache must be positive")
)

// Config configures the Kafka producer.
type Config struct {
	// Brokers is the comma-separated bootstrap server list.
	Brokers string
	// Topic receives the events.
	Topic string
	// Compression codec of produced batches.
	Compression string
	// Linger is how long the producer waits to fill a batch.
	Linger time.Duration
	// QueueMaxMessages bounds the local queue (messages not yet acknowledged).
	QueueMaxMessages int
	// QueueMaxKBytes bounds the local queue by size.
	QueueMaxKBytes int
	// MessageTimeout is how long librdkafka keeps trying to deliver a message.
	MessageTimeout time.Duration
	// AckTimeout bounds the wait for acknowledgements of a call that has no
	// (or a longer) deadline of its own.
	AckTimeout time.Duration
	// ReadinessTimeout bounds the metadata request behind /readyz.
	ReadinessTimeout time.Duration
	// ReadinessCache is how long a readiness answer is reused.
	ReadinessCache time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Brokers:          "127.0.0.1:9092",
		Topic:            "footprint.events.v1",
		Compression:      "zstd",
		Linger:           5 * time.Millisecond,
		QueueMaxMessages: 100_000,
		QueueMaxKBytes:   64 << 10, // 64 MiB
		MessageTimeout:   30 * time.Second,
		AckTimeout:       10 * time.Second,
		ReadinessTimeout: time.Second,
		ReadinessCache:   3 * time.Second,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Brokers) == "" {
		errs = append(errs, ErrBrokersRequired)
	}
	if c.Topic == "" {
		errs = append(errs, ErrTopicRequired)
	}
	switch c.Compression {
	case "none", "gzip", "snappy", "lz4", "zstd":
	default:
		errs = append(errs, ErrCompression)
	}
	if c.Linger < 0 || c.Linger > time.Second {
		errs = append(errs, ErrLinger)
	}
	if c.QueueMaxMessages < 1 {
		errs = append(errs, ErrQueueMessages)
	}
	if c.QueueMaxKBytes < 1 {
		errs = append(errs, ErrQueueKBytes)
	}
	if c.MessageTimeout < time.Second {
		errs = append(errs, ErrMessageTimeout)
	}
	if c.AckTimeout <= 0 {
		errs = append(errs, ErrAckTimeout)
	}
	if c.ReadinessTimeout <= 0 || c.ReadinessCache <= 0 {
		errs = append(errs, ErrReadinessTimeout)
	}
	return errors.Join(errs...)
}

// Metrics receives what the producer observes.
type Metrics interface {
	Produced(n int)
	Failed(n int)
	ProduceLatency(d time.Duration)
}

// Producer produces events and waits for their acknowledgements.
type Producer struct {
	cfg     Config
	kp      *kafka.Producer
	metrics Metrics
	logger  *slog.Logger
	// headers describe every value (internal/wire); Produce only reads
	// them (it copies them into librdkafka), so all calls share one slice.
	headers []kafka.Header

	// producing is held (shared) while a call enqueues, and exclusively by
	// Close, so no message is produced into a closed librdkafka handle.
	producing sync.RWMutex
	closed    chan struct{}
	closeOnce sync.Once
	lateWG    sync.WaitGroup

	readyMu   sync.Mutex
	readyAt   time.Time
	readyErr  error
	readyBusy chan struct{}
}

// New connects (lazily) to Kafka.
func New(cfg Config, metrics Metrics, logger *slog.Logger) (*Producer, error) {
	cm := &kafka.ConfigMap{
		"bootstrap.servers": cfg.Brokers,
		// Idempotence: librdkafka's own retries never duplicate or reorder a
		// message within a partition. It implies acks=all and bounded in-flight.
		"enable.idempotence": true,
		// Acknowledged means written to every in-sync replica: what we promise the client.
		"acks": "all",
		// Events compress well (repeated URLs, user agents); zstd and lz4 cost little CPU.
		"compression.type": cfg.Compression,
		// A few milliseconds of waiting fill batches under load (fewer, larger
		// requests) at a small latency cost per call; configurable.
		"linger.ms": int(cfg.Linger / time.Millisecond),
		// Up to 1 MiB per partition batch: fewer requests under load, below the
		// broker's default message.max.bytes.
		"batch.size": 1 << 20,
		// The local queue is bounded in count and size: a full queue fails the
		// call fast (ResourceExhausted) instead of growing memory.
		"queue.buffering.max.messages": cfg.QueueMaxMessages,
		"queue.buffering.max.kbytes":   cfg.QueueMaxKBytes,
		// A message not acknowledged by then fails with a delivery error, so
		// every Produce gets a report in bounded time and the queue drains
		// while Kafka is down.
		"message.timeout.ms": int(cfg.MessageTimeout / time.Millisecond),
		// A request the broker does not answer in 10 s fails and is retried,
		// rather than holding its messages until message.timeout.ms.
		"socket.timeout.ms": 10_000,
		// Reconnect soon after a broker restart (starts at 100 ms) ...
		"reconnect.backoff.ms": 100,
		// ... without hammering a broker that stays down (at most every 2 s).
		"reconnect.backoff.max.ms": 2_000,
		// Notice partition leadership changes within 30 s even without errors.
		"topic.metadata.refresh.interval.ms": 30_000,
		// Delivery reports need only the status: copy back neither key nor
		// value (each report of a key was an allocation per event).
		"go.delivery.report.fields": "none",
		// Delivery reports go to per-call channels; the shared events channel
		// only carries client errors, so a small buffer is plenty.
		"go.events.channel.size": 10_000,
		// Names the collector in broker logs and quotas.
		"client.id": "footprint-collector",
	}
	// librdkafka's own log lines go through our JSON logger, not raw to stderr.
	if err := kafkalog.Enable(cm); err != nil {
		return nil, fmt.Errorf("kafka producer config: %w", err)
	}
	kp, err := kafka.NewProducer(cm)
	if err != nil {
		return nil, fmt.Errorf("create kafka producer: %w", err)
	}
	p := &Producer{cfg: cfg, kp: kp, metrics: metrics, logger: logger, closed: make(chan struct{}), headers: []kafka.Header{
		{Key: wire.HeaderContentType, Value: []byte(wire.ContentTypeProtobuf)},
		{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)},
		{Key: wire.HeaderSchemaVersion, Value: []byte(wire.SchemaVersion)},
	}}
	go p.logEvents()
	go kafkalog.Forward(kp.Logs(), logger)
	return p, nil
}

// logEvents drains the producer's shared events channel: client-level errors
// (all brokers down, authentication) are logged; a fatal error is loud.
func (p *Producer) logEvents() {
	for ev := range p.kp.Events() {
		switch e := ev.(type) {
		case kafka.Error:
			if e.IsFatal() {
				p.logger.Error("kafka producer fatal error", "err", e)
			} else {
				p.logger.Warn("kafka producer error", "err", e, "code", e.Code().String())
			}
		case *kafka.Message:
			// Only messages produced without a delivery channel land here; we have none.
		}
	}
}

// QueueLen is the number of messages waiting for delivery or acknowledgement.
func (p *Producer) QueueLen() int { return p.kp.Len() }

// Message is one event for Kafka: its key (wire.MessageKey) and its
// protobuf-encoded value.
type Message struct {
	Key, Value []byte
}

// ProduceBatch produces every message and returns nil only when Kafka
// acknowledged all of them. It returns ErrQueueFull when the local queue is
// full, ErrNotAcknowledged when an acknowledgement failed or did not arrive
// in time. librdkafka copies keys and values while they are queued, so the
// caller may reuse their memory as soon as ProduceBatch returns.
func (p *Producer) ProduceBatch(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	p.producing.RLock()
	select {
	case <-p.closed:
		p.producing.RUnlock()
		return ErrClosed
	default:
	}
	ctx, cancel := p.ackContext(ctx)
	defer cancel()

	start := time.Now()
	// Buffered for every message of the call: librdkafka never blocks on it,
	// even after we stopped waiting.
	deliveries := make(chan kafka.Event, len(msgs))
	queued := 0
	var produceErr error
	for _, msg := range msgs {
		err := p.kp.Produce(&kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &p.cfg.Topic, Partition: kafka.PartitionAny},
			Key:            msg.Key,
			Value:          msg.Value,
			Headers:        p.headers,
		}, deliveries)
		if err != nil {
			var kerr kafka.Error
			if errors.As(err, &kerr) && kerr.Code() == kafka.ErrQueueFull {
				produceErr = ErrQueueFull
			} else {
				produceErr = fmt.Errorf("%w: produce: %w", ErrNotAcknowledged, err)
			}
			break
		}
		queued++
	}
	p.producing.RUnlock()
	if produceErr != nil {
		p.metrics.Failed(len(msgs) - queued)
		// Messages already queued still get reports; count them off the call path.
		p.drainLate(deliveries, queued)
		return produceErr
	}

	var failed error
	acked := 0
	// The counter is added to once per call, not per event.
	defer func() { p.metrics.Produced(acked) }()
	for got := 0; got < queued; got++ {
		// Reports arrive in bursts (a whole produce request is acknowledged
		// at once): take one that is there without the three-way select,
		// which locks all three channels for every report.
		var ev kafka.Event
		select {
		case ev = <-deliveries:
		default:
		}
		if ev == nil {
			select {
			case ev = <-deliveries:
			case <-ctx.Done():
				p.drainLate(deliveries, queued-got)
				return fmt.Errorf("%w within the deadline: %d of %d outstanding", ErrNotAcknowledged, queued-got, queued)
			case <-p.closed:
				return fmt.Errorf("%w: %d of %d outstanding", ErrClosed, queued-got, queued)
			}
		}
		m, ok := ev.(*kafka.Message)
		if !ok {
			continue
		}
		if m.TopicPartition.Error != nil {
			p.metrics.Failed(1)
			if failed == nil {
				failed = fmt.Errorf("%w: %w", ErrNotAcknowledged, m.TopicPartition.Error)
			}
			continue
		}
		acked++
	}
	p.metrics.ProduceLatency(time.Since(start))
	return failed
}

// ackContext bounds the wait: by AckTimeout, and a little before the
// caller's deadline so that the Unavailable answer reaches the client
// before the client gives up.
func (p *Producer) ackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	limit := time.Now().Add(p.cfg.AckTimeout)
	if dl, ok := ctx.Deadline(); ok {
		margin := time.Until(dl) / 10
		margin = min(max(margin, 5*time.Millisecond), 250*time.Millisecond)
		if early := dl.Add(-margin); early.Before(limit) {
			limit = early
		}
	}
	return context.WithDeadline(ctx, limit)
}

// drainLate counts the reports of messages a call stopped waiting for. Each
// arrives within message.timeout.ms, so the goroutine ends.
func (p *Producer) drainLate(deliveries chan kafka.Event, outstanding int) {
	if outstanding <= 0 {
		return
	}
	p.lateWG.Add(1)
	go func() {
		defer p.lateWG.Done()
		for ; outstanding > 0; outstanding-- {
			select {
			case ev := <-deliveries:
				if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error == nil {
					p.metrics.Produced(1)
				} else {
					p.metrics.Failed(1)
				}
			case <-p.closed:
				return
			}
		}
	}()
}

// Ready reports whether Kafka answers a metadata request for the topic. The
// answer is cached for ReadinessCache; concurrent probes share one request.
func (p *Producer) Ready(ctx context.Context) error {
	p.readyMu.Lock()
	if !p.readyAt.IsZero() && time.Since(p.readyAt) < p.cfg.ReadinessCache {
		err := p.readyErr
		p.readyMu.Unlock()
		return err
	}
	if busy := p.readyBusy; busy != nil {
		p.readyMu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return fmt.Errorf("kafka readiness: %w", ctx.Err())
		}
		p.readyMu.Lock()
		err := p.readyErr
		p.readyMu.Unlock()
		return err
	}
	busy := make(chan struct{})
	p.readyBusy = busy
	p.readyMu.Unlock()

	err := p.checkMetadata()

	p.readyMu.Lock()
	p.readyAt, p.readyErr, p.readyBusy = time.Now(), err, nil
	p.readyMu.Unlock()
	close(busy)
	return err
}

func (p *Producer) checkMetadata() error {
	md, err := p.kp.GetMetadata(&p.cfg.Topic, false, int(p.cfg.ReadinessTimeout/time.Millisecond))
	if err != nil {
		return fmt.Errorf("kafka metadata: %w", err)
	}
	t, ok := md.Topics[p.cfg.Topic]
	if !ok {
		return fmt.Errorf("kafka metadata: topic %s missing", p.cfg.Topic)
	}
	if t.Error.Code() != kafka.ErrNoError {
		return fmt.Errorf("kafka metadata: topic %s: %w", p.cfg.Topic, t.Error)
	}
	return nil
}

// Close flushes queued messages for at most timeout, then closes the
// producer. It returns how many messages were left undelivered.
func (p *Producer) Close(timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	left := p.kp.Len()
	for left > 0 && time.Now().Before(deadline) {
		left = p.kp.Flush(int(min(time.Until(deadline), time.Second) / time.Millisecond))
	}
	p.producing.Lock()
	p.closeOnce.Do(func() { close(p.closed) })
	p.producing.Unlock()
	p.lateWG.Wait()
	p.kp.Close()
	return left
}
