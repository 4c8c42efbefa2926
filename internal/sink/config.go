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
// DefaultConfig and a help string in its `help` tag; the services map their
// FOOTPRINT_* environment variables onto it explicitly.
type Config struct {
	Brokers         string        `help:"Kafka bootstrap servers, comma separated"`
	Topic           string        `help:"topic the events are read from"`
	DLQTopic        string        `help:"dead-letter topic for messages that cannot be stored (default <topic>.dlq)"`
	Group           string        `help:"Kafka consumer group of this writer"`
	ErasureTopic    string        `help:"compacted topic of erasure records; events of erased subjects are not written (empty: none)"`
	Writer          string        `help:"writer name: the writer label of the metrics and the DLQ writer header (pg_writer, ch_writer)"`
	BatchMaxEvents  int           `help:"a batch is written when it holds this many events"`
	BatchMaxBytes   int           `help:"a batch is written when its message values reach this many bytes"`
	BatchMaxWait    time.Duration `help:"a batch is written at the latest this long after its first message"`
	WriteTimeout    time.Duration `help:"timeout of one store write attempt"`
	RetryInitial    time.Duration `help:"first backoff after a failed store write"`
	RetryMax        time.Duration `help:"cap of the exponential backoff between store write attempts"`
	ShutdownTimeout time.Duration `help:"on SIGTERM, how long to keep trying to write and commit the current batch"`
	SessionTimeout  time.Duration `help:"Kafka group session timeout: how fast a dead replica's partitions move"`
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
	if c.BatchMaxEvents < 1 || c.BatchMaxEvents > 1_000_000 {
		errs = append(errs, fmt.Errorf("%w: got %d", ErrBatchMaxEvents, c.BatchMaxEvents))
	}
	if c.BatchMaxBytes < 1<<10 || c.BatchMaxBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("%w: got %d", ErrBatchMaxBytes, c.BatchMaxBytes))
	}
	if c.BatchMaxWait < time.Millisecond || c.BatchMaxWait > time.Minute {
		errs = append(errs, fmt.Errorf("%w: got %s", ErrBatchMaxWait, c.BatchMaxWait))
	}
	if c.WriteTimeout <= 0 || c.ShutdownTimeout <= 0 || c.SessionTimeout <= 0 {
		errs = append(errs, ErrTimeouts)
	}
	if c.MemoryLimit < 0 {
		errs = append(errs, ErrMemoryLimit)
	}
	if c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial {
		errs = append(errs, ErrRetry)
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ReadEnv applies the variables both writers share: FOOTPRINT_KAFKA_BROKERS,
// FOOTPRINT_KAFKA_TOPIC, FOOTPRINT_KAFKA_DLQ_TOPIC (default: the topic plus
// ".dlq") and FOOTPRINT_WRITER_* (FOOTPRINT_WRITER_KEEP_CLIENT_IP: true
// stores a producer's client.ip).
func (c *Config) ReadEnv(env *envconfig.Reader) {
	env.String("FOOTPRINT_KAFKA_BROKERS", &c.Brokers)
	env.String("FOOTPRINT_KAFKA_TOPIC", &c.Topic)
	c.DLQTopic = c.Topic + ".dlq"
	env.String("FOOTPRINT_KAFKA_DLQ_TOPIC", &c.DLQTopic)
	env.String("FOOTPRINT_WRITER_GROUP", &c.Group)
	env.String("FOOTPRINT_ERASURE_TOPIC", &c.ErasureTopic)
	env.Int("FOOTPRINT_WRITER_BATCH_MAX_EVENTS", &c.BatchMaxEvents)
	env.Int("FOOTPRINT_WRITER_BATCH_MAX_BYTES", &c.BatchMaxBytes)
	env.Duration("FOOTPRINT_WRITER_BATCH_MAX_WAIT", &c.BatchMaxWait)
	env.Duration("FOOTPRINT_WRITER_RETRY_MAX", &c.RetryMax)
	env.Duration("FOOTPRINT_WRITER_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	env.Duration("FOOTPRINT_WRITER_SESSION_TIMEOUT", &c.SessionTimeout)
	env.Int("FOOTPRINT_WRITER_MEMORY_LIMIT", &c.MemoryLimit)
	env.Bool("FOOTPRINT_WRITER_KEEP_CLIENT_IP", &c.KeepClientIP)
}
