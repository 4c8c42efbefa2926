// Package config gathers the collector's configuration, one struct per
// concern, with defaults and validation, and the table of environment
// variables that set each field (Vars: FromEnv applies it, `collector -help`
// prints it and the README documents it, checked by a test).
package config

import (
	"errors"
	"log/slog"
	"slices"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// Config is the whole collector configuration.
type Config struct {
	Server server.Config
	Admin  admin.Config
	Kafka  producer.Config
	Limits validate.Config
	Enrich enrich.Config
	Auth   auth.Config
	// Beacon is the HTTP endpoint for browsers (POST /api/event, the tracker script).
	Beacon beacon.Config
	// LogLevel is parsed once, by FromEnv (envconfig.LogLevel); main uses it as it is.
	LogLevel slog.Level
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Server:   server.DefaultConfig(),
		Admin:    admin.Config{Addr: "127.0.0.1:9464"},
		Kafka:    producer.DefaultConfig(),
		Limits:   validate.DefaultConfig(),
		Enrich:   enrich.DefaultConfig(),
		Auth:     auth.DefaultConfig(),
		Beacon:   beacon.DefaultConfig(),
		LogLevel: slog.LevelInfo,
	}
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	for _, err := range []error{
		c.Server.Validate(), c.Admin.Validate(), c.Kafka.Validate(),
		c.Limits.Validate(), c.Enrich.Validate(), c.Auth.Validate(),
		c.Beacon.Validate(),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Vars is the collector's variable table, bound to c's fields (the defaults
// are c's values now), in README order: FromEnv applies it, `collector
// -help` prints it and the README lists it (checked by a test).
func Vars(c *Config) envconfig.Vars {
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_KAFKA_BROKERS", &c.Kafka.Brokers, "Kafka bootstrap servers, comma-separated."),
		envconfig.String("FOOTPRINT_KAFKA_TOPIC", &c.Kafka.Topic, "Topic the events are produced to."),
	}, c.Admin.Vars("ready when Kafka answers"), envconfig.Vars{
		envconfig.LogLevel("FOOTPRINT_LOG_LEVEL", &c.LogLevel, "debug, info, warn or error (JSON logs on stderr)."),
		envconfig.String("FOOTPRINT_COLLECTOR_GRPC_ADDR", &c.Server.GRPCAddr, "gRPC listen address (CollectorService, health, reflection)."),
		envconfig.String("FOOTPRINT_COLLECTOR_TLS_CERT_FILE", &c.Server.TLSCertFile, "PEM certificate; with the key file it turns TLS on. Empty: plaintext."),
		envconfig.String("FOOTPRINT_COLLECTOR_TLS_KEY_FILE", &c.Server.TLSKeyFile, "PEM private key of the TLS certificate."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_SHUTDOWN_TIMEOUT", &c.Server.ShutdownTimeout, "On SIGTERM, how long in-flight calls may finish; the producer then flushes for as long again."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_RECV_BYTES", &c.Server.MaxRecvMessageBytes, "Largest request message in bytes; larger calls fail with RESOURCE_EXHAUSTED."),
		envconfig.String("FOOTPRINT_COLLECTOR_API_KEYS", &c.Auth.Keys, "API keys and the sites they own: `key1=siteA,siteB;key2=siteC`."),
		envconfig.String("FOOTPRINT_COLLECTOR_API_KEYS_FILE", &c.Auth.KeysFile, "File with one `key=siteA,siteB` per line (# comments); merged with FOOTPRINT_COLLECTOR_API_KEYS."),
		envconfig.String("FOOTPRINT_COLLECTOR_VISITOR_SECRET", &c.Enrich.VisitorIDSecret, "Secret (16+ bytes) keying the daily salt of cookieless visitor ids; share it between replicas. Empty: random per process, so replicas and restarts derive different ids."),
		envconfig.Bool("FOOTPRINT_COLLECTOR_KEEP_RAW_IP", &c.Enrich.KeepRawIP, "Keep client.ip in the events written to Kafka (personal data; off by default)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_EVENTS_PER_BATCH", &c.Limits.MaxEventsPerBatch, "Most events per call or stream message; more fails the call with INVALID_ARGUMENT."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_EVENT_BYTES", &c.Limits.MaxEventBytes, "Largest encoded event; larger ones are rejected (TOO_LARGE)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_PROPERTIES", &c.Limits.MaxProperties, "Most properties per event (TOO_MANY_PROPERTIES)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_PROPERTY_KEY_LENGTH", &c.Limits.MaxPropertyKeyLength, "Longest property key in bytes (TOO_LONG)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_PROPERTY_VALUE_LENGTH", &c.Limits.MaxPropertyValueLength, "Longest property value in bytes (TOO_LONG)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_ID_LENGTH", &c.Limits.MaxIDLength, "Longest site_id, visitor_id, user_id, session_id in bytes (TOO_LONG)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_URL_LENGTH", &c.Limits.MaxURLLength, "Longest page.url, page.path, page.referrer in bytes (TOO_LONG)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_MAX_STRING_LENGTH", &c.Limits.MaxStringLength, "Longest other string (title, UTM, user agent, locale, time zone) in bytes (TOO_LONG)."),
		envconfig.String("FOOTPRINT_COLLECTOR_EVENT_NAME_PATTERN", &c.Limits.NamePattern, "Regular expression (RE2) every event name must match (INVALID_FORMAT)."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_ALLOWED_CLOCK_SKEW", &c.Limits.AllowedClockSkew, "How far occurred_at may lie in the future; beyond it is clamped to received_at and flagged."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_MAX_EVENT_AGE", &c.Limits.MaxEventAge, "How far occurred_at may lie in the past; older events are rejected (INVALID_FORMAT)."),
		envconfig.String("FOOTPRINT_COLLECTOR_KAFKA_COMPRESSION", &c.Kafka.Compression, "Producer compression: none, gzip, snappy, lz4 or zstd."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_KAFKA_LINGER", &c.Kafka.Linger, "How long the producer waits to fill a batch (linger.ms)."),
		envconfig.Int("FOOTPRINT_COLLECTOR_KAFKA_QUEUE_MAX_MESSAGES", &c.Kafka.QueueMaxMessages, "Bound of the local produce queue in messages; full fails calls with RESOURCE_EXHAUSTED."),
		envconfig.Int("FOOTPRINT_COLLECTOR_KAFKA_QUEUE_MAX_KBYTES", &c.Kafka.QueueMaxKBytes, "Bound of the local produce queue in KiB."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_KAFKA_MESSAGE_TIMEOUT", &c.Kafka.MessageTimeout, "How long the producer keeps trying to deliver one message (message.timeout.ms)."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_KAFKA_ACK_TIMEOUT", &c.Kafka.AckTimeout, "Longest wait for Kafka's acknowledgements in one call (shortened by the call's own deadline); then UNAVAILABLE."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_READINESS_TIMEOUT", &c.Kafka.ReadinessTimeout, "Timeout of the metadata request behind /readyz."),
		envconfig.Duration("FOOTPRINT_COLLECTOR_READINESS_CACHE", &c.Kafka.ReadinessCache, "How long a /readyz answer is reused."),
	}, beaconVars(&c.Beacon))
}

// FromEnv applies the variables that lookup finds to a default Config (an
// empty one keeps its default). The log level is parsed here, once.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	err := Vars(&c).Apply(lookup)
	return c, err
}
