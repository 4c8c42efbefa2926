// Package config is the footprint command's configuration: where Kafka and
// the two stores are. Every value has a default matching the local stack
// and a FOOTPRINT_* variable (the same names the services use); the
// subcommands' own flags are parsed in internal/cli.
package config

import (
	"errors"

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
	Brokers      string `help:"Kafka bootstrap servers (FOOTPRINT_KAFKA_BROKERS)"`
	Topic        string `help:"events topic (FOOTPRINT_KAFKA_TOPIC)"`
	DLQTopic     string `help:"dead-letter topic (FOOTPRINT_KAFKA_DLQ_TOPIC, default <topic>.dlq)"`
	ErasureTopic string `help:"compacted topic of erasure records (FOOTPRINT_ERASURE_TOPIC)"`
	AuditTopic   string `help:"topic of the audit records of operations (FOOTPRINT_AUDIT_TOPIC)"`
	Postgres     postgres.Config
	ClickHouse   clickhouse.Config
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
	}
}

// FromEnv returns c with the FOOTPRINT_* variables applied.
func (c Config) FromEnv(env *envconfig.Reader) Config {
	env.String("FOOTPRINT_KAFKA_BROKERS", &c.Brokers)
	env.String("FOOTPRINT_KAFKA_TOPIC", &c.Topic)
	c.DLQTopic = c.Topic + ".dlq"
	env.String("FOOTPRINT_KAFKA_DLQ_TOPIC", &c.DLQTopic)
	env.String("FOOTPRINT_ERASURE_TOPIC", &c.ErasureTopic)
	env.String("FOOTPRINT_AUDIT_TOPIC", &c.AuditTopic)
	c.Postgres = c.Postgres.FromEnv(env)
	c.ClickHouse = c.ClickHouse.FromEnv(env)
	return c
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
