// Package config is the notifier's configuration: defaults, validation and
// the environment variables that set each field (the table main.go applies,
// `notifier -help` prints and the README documents).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
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

// Var is one environment variable: its name, help and how it applies.
type Var struct {
	Name string
	Help string
	Read func(env *envconfig.Reader, c *Config)
}

// Vars lists every variable the notifier reads.
func Vars() []Var {
	return []Var{
		{"FOOTPRINT_KAFKA_BROKERS", "Kafka bootstrap servers", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_KAFKA_BROKERS", &c.Sink.Brokers) }},
		{"FOOTPRINT_KAFKA_TOPIC", "events topic; its .dlq receives events that cannot be decoded", func(e *envconfig.Reader, c *Config) {
			e.String("FOOTPRINT_KAFKA_TOPIC", &c.Sink.Topic)
			c.Sink.DLQTopic = c.Sink.Topic + ".dlq"
		}},
		{"FOOTPRINT_NOTIFIER_GROUP", "Kafka consumer group", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_GROUP", &c.Sink.Group) }},
		{"FOOTPRINT_NOTIFIER_BATCH_MAX_WAIT", "a batch of events is written at the latest this long after its first event", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_BATCH_MAX_WAIT", &c.Sink.BatchMaxWait)
		}},
		{"FOOTPRINT_NOTIFIER_SESSION_TIMEOUT", "Kafka group session timeout: how fast a dead replica's partitions move", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_SESSION_TIMEOUT", &c.Sink.SessionTimeout)
		}},
		{"FOOTPRINT_NOTIFIER_GRPC_ADDR", "gRPC listen address (NotificationService, health, reflection)", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_GRPC_ADDR", &c.GRPCAddr) }},
		{"FOOTPRINT_ADMIN_ADDR", "admin HTTP address (/metrics, /healthz, /readyz)", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_ADMIN_ADDR", &c.Admin.Addr) }},
		{"FOOTPRINT_ADMIN_PPROF", "serve /debug/pprof/ on the admin port", func(e *envconfig.Reader, c *Config) { e.Bool("FOOTPRINT_ADMIN_PPROF", &c.Admin.Pprof) }},
		{"FOOTPRINT_NOTIFIER_PG_URL", "PostgreSQL URL of the notifier's role (owns schema notifier)", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_PG_URL", &c.PostgresURL) }},
		{"FOOTPRINT_NOTIFIER_API_KEYS", "API keys: key1=siteA,siteB;key2=siteC (required)", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_API_KEYS", &c.APIKeys) }},
		{"FOOTPRINT_NOTIFIER_RULES_FILE", "rules YAML file; empty: the embedded internal/rules/rules.yaml", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_RULES_FILE", &c.RulesFile) }},
		{"FOOTPRINT_NOTIFIER_DLQ_TOPIC", "topic of webhook messages that failed every attempt", func(e *envconfig.Reader, c *Config) { e.String("FOOTPRINT_NOTIFIER_DLQ_TOPIC", &c.DLQTopic) }},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT", "timeout of one webhook attempt", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT", &c.Webhook.Timeout)
		}},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_CONCURRENCY", "deliveries in flight per endpoint (a rule's endpoint may override)", func(e *envconfig.Reader, c *Config) {
			e.Int("FOOTPRINT_NOTIFIER_WEBHOOK_CONCURRENCY", &c.Webhook.Concurrency)
		}},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_MAX_ATTEMPTS", "attempts before a webhook message goes to the dead-letter topic", func(e *envconfig.Reader, c *Config) {
			e.Int("FOOTPRINT_NOTIFIER_WEBHOOK_MAX_ATTEMPTS", &c.Webhook.MaxAttempts)
		}},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_INITIAL", "first retry backoff (doubles, with jitter)", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_INITIAL", &c.Webhook.RetryInitial)
		}},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_MAX", "cap of the retry backoff", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_MAX", &c.Webhook.RetryMax)
		}},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_LEASE", "a claimed delivery of a crashed notifier is retried after this", func(e *envconfig.Reader, c *Config) { e.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_LEASE", &c.Webhook.Lease) }},
		{"FOOTPRINT_NOTIFIER_WEBHOOK_RETENTION", "delivered and dead webhook messages are deleted from the outbox after this", func(e *envconfig.Reader, c *Config) {
			e.Duration("FOOTPRINT_NOTIFIER_WEBHOOK_RETENTION", &c.Webhook.Retention)
		}},
		{"FOOTPRINT_LOG_LEVEL", "debug, info, warn or error", func(e *envconfig.Reader, c *Config) { e.LogLevel("FOOTPRINT_LOG_LEVEL", &c.LogLevel) }},
	}
}

// FromEnv applies the variables to the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	env := envconfig.New(getenv)
	for _, v := range Vars() {
		v.Read(env, &c)
	}
	return c, env.Err()
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{c.Sink.Validate(), c.Admin.Validate()}
	if _, _, err := net.SplitHostPort(c.GRPCAddr); err != nil {
		errs = append(errs, fmt.Errorf("%w: %q", ErrGRPCAddr, c.GRPCAddr))
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
