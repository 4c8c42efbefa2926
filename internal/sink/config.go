package sink

import (
	"errors"
	"fmt"
	"time"

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/eventcheck"
)

// Named configuration errors, combined with errors.Join by Config.Validate.
var (
	ErrBrokersRequired  = errors.New("sink: kafka brokers are required")
	ErrTopicRequired    = errors.New("sink: kafka topic is required")
	ErrDLQTopicRequired = errors.New("sink: dlq topic is required and must differ from the topic")
	ErrGroupRequired    = errors.New("sink: consumer group is required")
	ErrWriterRequired   = errors.New("sink: writer name is required (pg_writer or ch_writer)")
	ErrBatchMaxEvents   = errors.New("sink: batch max events must be between 1 and 1000000")
	ErrBatchMaxBytes    = errors.New("sink: batch max bytes must be between 1 KiB and 1 GiB")
	ErrBatchMaxWait     = errors.New("sink: batch max wait must be between 1ms and 1m")
	ErrTimeouts         = errors.New("sink: write, shutdown and session timeouts must be positive")
	ErrRetry            = errors.New("sink: retry backoff must satisfy 0 < initial <= max")
	ErrMemoryLimit      = errors.New("sink: memory limit must be 0 (none) or positive")
)

// Config configures the consume loop. Every field has a default in
// DefaultConfig; Vars binds the writers' FOOTPRINT_* variables to it, each
// with its help (the notifier binds its own names).
type Config struct {
	// Brokers are the Kafka bootstrap servers, comma separated.
	Brokers string
	// Topic is read; DLQTopic receives what cannot be stored.
	Topic, DLQTopic string
	// Group is the Kafka consumer group of this writer.
	Group string
	// ErasureTopic is the compacted topic of erasure records; events of
	// erased subjects are not written (empty: none).
	ErasureTopic string
	// Writer is the writer label of the metrics and the DLQ writer header
	// (pg_writer, ch_writer).
	Writer string
	// A batch is written when it holds BatchMaxEvents events, when its
	// message values reach BatchMaxBytes, or BatchMaxWait after its first
	// message.
	BatchMaxEvents int
	BatchMaxBytes  int
	BatchMaxWait   time.Duration
	// WriteTimeout bounds one store write attempt; failed attempts back off
	// from RetryInitial, doubling up to RetryMax.
	WriteTimeout time.Duration
	RetryInitial time.Duration
	RetryMax     time.Duration
	// ShutdownTimeout: on SIGTERM, how long to keep trying to write and
	// commit the current batch.
	ShutdownTimeout time.Duration
	// SessionTimeout is the Kafka group session timeout: how fast a dead
	// replica's partitions move.
	SessionTimeout time.Duration
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (runtime/debug.SetMemoryLimit; 0: none; GOMEMLIMIT, when set, wins).
	MemoryLimit int
	// Limits are what every event is checked against before a store sees it
	// (the collector's limits); an event outside them is dead-lettered.
	Limits eventcheck.Limits
	// KeepClientIP lets a producer's client.ip reach the store. Off: the
	// raw IP is personal data and is cleared, as the collector does by default.
	KeepClientIP bool
}

// DefaultConfig returns the defaults for a writer; writer is "pg_writer" or
// "ch_writer" and also picks the default consumer group.
func DefaultConfig(writer string) Config {
	group := "footprint-" + dashed(writer)
	return Config{
		Brokers:  "127.0.0.1:9092",
		Topic:    "footprint.events.v1",
		DLQTopic: "footprint.events.v1.dlq",
		Group:    group,
		Writer:   writer,
		// Sized for throughput: both stores load 50k rows in about a second or
		// less. Bytes usually cut the batch first (8 MiB is about 22k
		// events of 370 bytes): the loop holds two batches decoded (the one
		// written, the next), so this bounds the writer's memory; 16 MiB
		// put a writer draining a backlog over 300 MB RSS. The wait bounds
		// latency when traffic is light: at 1 s the PostgreSQL p99 from
		// acknowledgement to visible row at half load was 2.3 s (bench),
		// over the 2 s target.
		BatchMaxEvents:  50_000,
		BatchMaxBytes:   8 << 20,
		BatchMaxWait:    500 * time.Millisecond,
		WriteTimeout:    30 * time.Second,
		RetryInitial:    200 * time.Millisecond,
		RetryMax:        10 * time.Second,
		ShutdownTimeout: 30 * time.Second,
		SessionTimeout:  10 * time.Second,
		// The Go heap grows to twice what is live before the GC runs
		// (GOGC=100); live is about two decoded batches, under 150 MiB at
		// the default batch size. The soft limit makes the GC run earlier
		// instead, so RSS stays near 250 MiB and under the 300 MB a writer
		// may use while draining a backlog.
		MemoryLimit:  200 << 20,
		ErasureTopic: "footprint.erasures.v1", // where `footprint erase` records erasures
		Limits:       eventcheck.DefaultLimits(),
	}
}

func dashed(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if c.Brokers == "" {
		errs = append(errs, ErrBrokersRequired)
	}
	if c.Topic == "" {
		errs = append(errs, ErrTopicRequired)
	}
	if c.DLQTopic == "" || c.DLQTopic == c.Topic {
		errs = append(errs, ErrDLQTopicRequired)
	}
	if c.Group == "" {
		errs = append(errs, ErrGroupRequired)
	}
	if c.Writer == "" {
		errs = append(errs, ErrWriterRequired)
	}
	errs = append(errs, checkBatchMaxEvents(c.BatchMaxEvents), checkBatchMaxBytes(c.BatchMaxBytes),
		checkBatchMaxWait(c.BatchMaxWait), checkMemoryLimit(c.MemoryLimit))
	if checkTimeout(c.WriteTimeout) != nil || checkTimeout(c.ShutdownTimeout) != nil || checkTimeout(c.SessionTimeout) != nil {
		errs = append(errs, ErrTimeouts)
	}
	if c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial {
		errs = append(errs, ErrRetry)
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Vars are the variables both writers share, bound to c's fields:
// FOOTPRINT_KAFKA_* (the dead-letter topic defaults to the topic plus
// ".dlq") and FOOTPRINT_WRITER_*. The footprint command's replay reads them
// too. Where Validate checks one field, the entry runs the same check.
func (c *Config) Vars() envconfig.Vars {
	return envconfig.Vars{
		envconfig.String("FOOTPRINT_KAFKA_BROKERS", &c.Brokers, "Kafka bootstrap servers, comma separated"),
		envconfig.String("FOOTPRINT_KAFKA_TOPIC", &c.Topic, "topic the events are read from"),
		envconfig.String("FOOTPRINT_KAFKA_DLQ_TOPIC", &c.DLQTopic, "dead-letter topic for messages that cannot be stored (unset: the topic plus .dlq)").
			DefaultFrom(func() string { return c.Topic + ".dlq" }),
		envconfig.String("FOOTPRINT_WRITER_GROUP", &c.Group, "Kafka consumer group (replicas share it and split the partitions)"),
		envconfig.String("FOOTPRINT_ERASURE_TOPIC", &c.ErasureTopic, "compacted topic of erasure records (footprint erase); events of erased visitors and users are never written"),
		envconfig.Int("FOOTPRINT_WRITER_BATCH_MAX_EVENTS", &c.BatchMaxEvents, "a batch is written when it holds this many messages").Check(checkBatchMaxEvents),
		envconfig.Int("FOOTPRINT_WRITER_BATCH_MAX_BYTES", &c.BatchMaxBytes, "... or this many bytes of message values (the writer holds two batches decoded: the one it writes and the next)").Check(checkBatchMaxBytes),
		envconfig.Duration("FOOTPRINT_WRITER_BATCH_MAX_WAIT", &c.BatchMaxWait, "... or this long after its first message").Check(checkBatchMaxWait),
		envconfig.Duration("FOOTPRINT_WRITER_RETRY_MAX", &c.RetryMax, "cap of the exponential backoff while the store fails"),
		envconfig.Duration("FOOTPRINT_WRITER_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, "on SIGTERM, how long to keep trying to store the current batch (exit 1, nothing committed, if it fails)").Check(checkTimeout),
		envconfig.Duration("FOOTPRINT_WRITER_SESSION_TIMEOUT", &c.SessionTimeout, "Kafka group session timeout: how fast a dead replica's partitions move").Check(checkTimeout),
		envconfig.Int("FOOTPRINT_WRITER_MEMORY_LIMIT", &c.MemoryLimit, "Go soft memory limit in bytes (runtime/debug.SetMemoryLimit; 0: none; GOMEMLIMIT, when set, wins)").Check(checkMemoryLimit),
		envconfig.Bool("FOOTPRINT_WRITER_KEEP_CLIENT_IP", &c.KeepClientIP, "store a producer's client.ip (personal data); by default it is cleared"),
	}
}

func checkBatchMaxEvents(n int) error {
	if n < 1 || n > 1_000_000 {
		return fmt.Errorf("%w: got %d", ErrBatchMaxEvents, n)
	}
	return nil
}

func checkBatchMaxBytes(n int) error {
	if n < 1<<10 || n > 1<<30 {
		return fmt.Errorf("%w: got %d", ErrBatchMaxBytes, n)
	}
	return nil
}

func checkBatchMaxWait(d time.Duration) error {
	if d < time.Millisecond || d > time.Minute {
		return fmt.Errorf("%w: got %s", ErrBatchMaxWait, d)
	}
	return nil
}

func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return ErrTimeouts
	}
	return nil
}

func checkMemoryLimit(n int) error {
	if n < 0 {
		return ErrMemoryLimit
	}
	return nil
}
