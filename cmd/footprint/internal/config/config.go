// Package config is the footprint command's configuration: where Kafka and
// the two stores are. Every value has a default matching the local stack
// and a FOOTPRINT_* variable (the same names the services use); the
// subcommands' own flags are parsed in internal/cli.
package config

import (
	"errors"
	"log/slog"
	"slices"

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

// Named configuration errors, joined by Validate.
var (
	ErrBrokers = errors.New("config: FOOTPRINT_KAFKA_BROKERS is required")
	ErrTopics  = errors.New("config: the events, dead-letter, erasure and audit topics must be set and distinct")
)

// Config configures the command.
type Config struct {
	Brokers string
	// Topic holds the events; DLQTopic their dead letters.
	Topic, DLQTopic string
	// ErasureTopic is the compacted topic of erasure records.
	ErasureTopic string
	// AuditTopic holds the audit records of operations.
	AuditTopic string
	Postgres   postgres.Config
	ClickHouse clickhouse.Config
	// LogLevel: warnings and errors only by default, since the command's
	// output is its report.
	LogLevel slog.Level
}

// Default matches deploy/local/stack.sh.
func Default() Config {
	return Config{
		Brokers:      "127.0.0.1:9092",
		Topic:        "footprint.events.v1",
		DLQTopic:     "footprint.events.v1.dlq",
		ErasureTopic: "footprint.erasures.v1",
		AuditTopic:   "footprint.audit.v1",
		Postgres:     postgres.DefaultConfig(),
		ClickHouse:   clickhouse.DefaultConfig(),
		LogLevel:     slog.LevelWarn,
	}
}

// Vars is the command's variable table, bound to c's fields: the topics,
// the stores' variables (the writers' own) and the log level.
func (c *Config) Vars() envconfig.Vars {
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_KAFKA_BROKERS", &c.Brokers, "Kafka bootstrap servers, comma separated"),
		envconfig.String("FOOTPRINT_KAFKA_TOPIC", &c.Topic, "events topic"),
		envconfig.String("FOOTPRINT_KAFKA_DLQ_TOPIC", &c.DLQTopic, "dead-letter topic (unset: the events topic plus .dlq)").
			DefaultFrom(func() string { return c.Topic + ".dlq" }),
		envconfig.String("FOOTPRINT_ERASURE_TOPIC", &c.ErasureTopic, "compacted topic of erasure records"),
		envconfig.String("FOOTPRINT_AUDIT_TOPIC", &c.AuditTopic, "topic of the audit records of operations"),
	}, c.Postgres.Vars(), c.ClickHouse.Vars(), envconfig.Vars{
		envconfig.LogLevel("FOOTPRINT_LOG_LEVEL", &c.LogLevel, "debug, info, warn or error (JSON log lines on stderr; the report goes to stdout)"),
	})
}

// FromEnv applies the variables getenv sets (an empty one keeps its
// default) to the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	err := c.Vars().Apply(envconfig.Getenv(getenv))
	return c, err
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if c.Brokers == "" {
		errs = append(errs, ErrBrokers)
	}
	topics := map[string]bool{}
	for _, t := range []string{c.Topic, c.DLQTopic, c.ErasureTopic, c.AuditTopic} {
		if t == "" || topics[t] {
			errs = append(errs, ErrTopics)
			break
		}
		topics[t] = true
	}
	errs = append(errs, c.Postgres.Validate(), c.ClickHouse.Validate())
	return errors.Join(errs...)
}
