// Package config is the notifier's configuration: defaults, validation and
// the environment variables that set each field (the table main.go applies,
// `notifier -help` prints and the README documents).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/sink"
)

// Named configuration errors.
var (
	ErrGRPCAddr    = errors.New("config: gRPC listen address must be host:port")
	ErrPostgresURL = errors.New("config: PostgreSQL URL is required")
	ErrKeys        = errors.New("config: API keys are required (key=site[,site];...)")
	ErrDLQTopic    = errors.New("config: notifications dead-letter topic is required")
	ErrWebhook     = errors.New("config: webhook timeout, retention, retry initial/max must be positive (initial <= max), attempts and concurrency at least 1")
	ErrLease       = errors.New("config: webhook lease must exceed the webhook timeout")
)

// Webhook holds the defaults of every webhook endpoint (a rule's endpoint
// may override concurrency and attempts).
type Webhook struct {
	// Timeout bounds one HTTP delivery attempt.
	Timeout time.Duration
	// Concurrency is how many deliveries to one endpoint run at once.
	Concurrency int
	// MaxAttempts: after this many failed attempts the message goes to the
	// dead-letter topic.
	MaxAttempts int
	// RetryInitial and RetryMax bound the exponential backoff (with jitter).
	RetryInitial time.Duration
	RetryMax     time.Duration
	// Lease is how long a claimed delivery belongs to this process; a
	// delivery of a crashed process is retried after it.
	Lease time.Duration
	// Poll is how often idle endpoint workers look for due deliveries
	// (new ones wake them at once).
	Poll time.Duration
	// Retention is how long delivered and dead messages stay in the outbox.
	Retention time.Duration
}

// Config is the whole notifier configuration.
type Config struct {
	// Sink is the consume loop (the writers' loop, shared).
	Sink sink.Config
	// GRPCAddr serves NotificationService, health and reflection.
	GRPCAddr string
	Admin    admin.Config
	// PostgresURL connects as the notifier's role; it owns schema notifier.
	PostgresURL string
	// APIKeys is `key1=siteA,siteB;key2=siteC`.
	APIKeys string
	// RulesFile is a rules YAML file; empty: the embedded defaults.
	RulesFile string
	// DLQTopic receives webhook messages that failed MaxAttempts times.
	DLQTopic string
	Webhook  Webhook
	// ShutdownTimeout bounds the graceful stop of the gRPC server.
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
}

// Default returns the defaults of the local stack.
func Default() Config {
	s := sink.DefaultConfig("notifier")
	// Notifications are small and latency matters more than batch size: a
	// batch is written at most 50 ms after its first event.
	s.BatchMaxEvents = 5000
	s.BatchMaxWait = 50 * time.Millisecond
	return Config{
		Sink:        s,
		GRPCAddr:    "127.0.0.1:50053",
		Admin:       admin.Config{Addr: "127.0.0.1:9468"},
		PostgresURL: "postgres://footprint_notifier:footprint_notifier@127.0.0.1:5432/footprint",
		DLQTopic:    "footprint.notifications.v1.dlq",
		Webhook: Webhook{
			Timeout:      10 * time.Second,
			Concurrency:  4,
			MaxAttempts:  8,
			RetryInitial: time.Second,
			RetryMax:     5 * time.Minute,
			Lease:        30 * time.Second,
			Poll:         time.Second,
			Retention:    7 * 24 * time.Hour,
		},
		ShutdownTimeout: 10 * time.Second,
	}
}

// Vars is the notifier's variable table, bound to c's fields (the defaults
// are c's values now), in README order: FromEnv applies it, `notifier -help`
// prints it and the README lists it (checked by a test). The checks are the
// ones Validate runs on single fields.
func Vars(c *Config) envconfig.Vars {
	w := &c.Webhook
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_KAFKA_BROKERS", &c.Sink.Brokers, "Kafka bootstrap servers"),
		envconfig.String("FOOTPRINT_KAFKA_TOPIC", &c.Sink.Topic, "events topic; its .dlq receives events that cannot be decoded"),
		envconfig.String("FOOTPRINT_NOTIFIER_GROUP", &c.Sink.Group, "Kafka consumer group"),
		envconfig.Duration("FOOTPRINT_NOTIFIER_BATCH_MAX_WAIT", &c.Sink.BatchMaxWait, "a batch of events is written at the latest this long after its first event"),
		envconfig.Duration("FOOTPRINT_NOTIFIER_SESSION_TIMEOUT", &c.Sink.SessionTimeout, "Kafka group session timeout: how fast a dead replica's partitions move"),
		envconfig.String("FOOTPRINT_NOTIFIER_GRPC_ADDR", &c.GRPCAddr, "gRPC listen address (NotificationService, health, reflection)").Check(checkGRPCAddr),
	}, c.Admin.Vars("ready when the inbox is migrated and Kafka answers"), envconfig.Vars{
		envconfig.String("FOOTPRINT_NOTIFIER_PG_URL", &c.PostgresURL, "PostgreSQL URL of the notifier's role (owns schema notifier)"),
		envconfig.String("FOOTPRINT_NOTIFIER_API_KEYS", &c.APIKeys, "API keys: key1=siteA,siteB;key2=siteC (required)"),
		envconfig.String("FOOTPRINT_NOTIFIER_RULES_FILE", &c.RulesFile, "rules YAML file; empty: the embedded internal/rules/rules.yaml"),
		envconfig.String("FOOTPRINT_NOTIFIER_DLQ_TOPIC", &c.DLQTopic, "topic of webhook messages that failed every attempt"),
		envconfig.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT", &w.Timeout, "timeout of one webhook attempt").Check(positive[time.Duration]),
		envconfig.Int("FOOTPRINT_NOTIFIER_WEBHOOK_CONCURRENCY", &w.Concurrency, "deliveries in flight per endpoint (a rule's endpoint may override)").Check(positive[int]),
		envconfig.Int("FOOTPRINT_NOTIFIER_WEBHOOK_MAX_ATTEMPTS", &w.MaxAttempts, "attempts before a webhook message goes to the dead-letter topic").Check(positive[int]),
		envconfig.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_INITIAL", &w.RetryInitial, "first retry backoff (doubles, with jitter)").Check(positive[time.Duration]),
		envconfig.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_MAX", &w.RetryMax, "cap of the retry backoff").Check(positive[time.Duration]),
		envconfig.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_LEASE", &w.Lease, "a claimed delivery of a crashed notifier is retried after this"),
		envconfig.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETENTION", &w.Retention, "delivered and dead webhook messages are deleted from the outbox after this").Check(positive[time.Duration]),
		envconfig.LogLevel("FOOTPRINT_LOG_LEVEL", &c.LogLevel, "debug, info, warn or error"),
	})
}

// FromEnv applies the variables to the defaults (an empty variable keeps
// its default). The events' dead-letter topic follows the events topic.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	err := Vars(&c).Apply(envconfig.Getenv(getenv))
	c.Sink.DLQTopic = c.Sink.Topic + ".dlq"
	return c, err
}

func checkGRPCAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: %q", ErrGRPCAddr, addr)
	}
	return nil
}

// positive is the single-field part of ErrWebhook: counts, timeouts,
// backoffs and the retention must be above zero.
func positive[T int | time.Duration](v T) error {
	if v <= 0 {
		return ErrWebhook
	}
	return nil
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{c.Sink.Validate(), c.Admin.Validate()}
	if err := checkGRPCAddr(c.GRPCAddr); err != nil {
		errs = append(errs, err)
	}
	if c.PostgresURL == "" {
		errs = append(errs, ErrPostgresURL)
	}
	if c.APIKeys == "" {
		errs = append(errs, ErrKeys)
	}
	if c.DLQTopic == "" {
		errs = append(errs, ErrDLQTopic)
	}
	w := c.Webhook
	if w.Timeout <= 0 || w.RetryInitial <= 0 || w.RetryMax < w.RetryInitial || w.MaxAttempts < 1 || w.Concurrency < 1 || w.Poll <= 0 || w.Retention <= 0 {
		errs = append(errs, ErrWebhook)
	}
	if w.Lease <= w.Timeout {
		errs = append(errs, ErrLease)
	}
	return errors.Join(errs...)
}
