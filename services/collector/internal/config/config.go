// Package config gathers the collector's configuration, one struct per
// concern, with defaults and validation, and the table of environment
// variables that set each field (Vars: FromEnv applies it, `collector -help`
// prints it and the README documents it, checked by a test).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// ErrLogLevel is returned by FromEnv for a log level other than debug, info, warn, error.
var ErrLogLevel = errors.New("config: log level must be debug, info, warn or error")

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
	// LogLevel is parsed once, by FromEnv; main uses it as it is.
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

// Var is one environment variable: its name, the help text, and how it sets
// a field of Config.
type Var struct {
	Name string
	Help string
	// Default renders the field's value in a default Config.
	Default func(c *Config) string
	// Set parses the variable's value into c.
	Set func(c *Config, value string) error
}

func str(field func(c *Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *field(c) },
		func(c *Config, v string) error { *field(c) = v; return nil }
}

func integer(field func(c *Config) *int) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.Itoa(*field(c)) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not an integer: %w", err)
			}
			*field(c) = n
			return nil
		}
}

func duration(field func(c *Config) *time.Duration) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return field(c).String() },
		func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration (like 500ms, 30s): %w", err)
			}
			*field(c) = d
			return nil
		}
}

func boolean(field func(c *Config) *bool) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.FormatBool(*field(c)) },
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a boolean: %w", err)
			}
			*field(c) = b
			return nil
		}
}

func logLevel(field func(c *Config) *slog.Level) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strings.ToLower(field(c).String()) },
		func(c *Config, v string) error {
			switch l := strings.ToLower(strings.TrimSpace(v)); l {
			case "debug", "info", "warn", "error":
				return field(c).UnmarshalText([]byte(l))
			}
			return ErrLogLevel
		}
}

func v(name, help string, def func(*Config) string, set func(*Config, string) error) Var {
	return Var{Name: name, Help: help, Default: def, Set: set}
}

// Vars lists every environment variable of the collector, in README order.
func Vars() []Var {
	vars := []Var{}
	add := func(name, help string, def func(*Config) string, set func(*Config, string) error) {
		vars = append(vars, v(name, help, def, set))
	}
	var d func(*Config) string
	var s func(*Config, string) error

	d, s = str(func(c *Config) *string { return &c.Kafka.Brokers })
	add("FOOTPRINT_KAFKA_BROKERS", "Kafka bootstrap servers, comma-separated.", d, s)
	d, s = str(func(c *Config) *string { return &c.Kafka.Topic })
	add("FOOTPRINT_KAFKA_TOPIC", "Topic the events are produced to.", d, s)
	d, s = str(func(c *Config) *string { return &c.Admin.Addr })
	add("FOOTPRINT_ADMIN_ADDR", "Admin HTTP address: /metrics, /healthz, /readyz (ready when Kafka answers), /debug/pprof when enabled.", d, s)
	d, s = boolean(func(c *Config) *bool { return &c.Admin.Pprof })
	add("FOOTPRINT_ADMIN_PPROF", "Serve /debug/pprof/ on the admin address (off: profiles expose the command line and memory and load the CPU).", d, s)
	d, s = logLevel(func(c *Config) *slog.Level { return &c.LogLevel })
	add("FOOTPRINT_LOG_LEVEL", "debug, info, warn or error (JSON logs on stderr).", d, s)

	d, s = str(func(c *Config) *string { return &c.Server.GRPCAddr })
	add("FOOTPRINT_COLLECTOR_GRPC_ADDR", "gRPC listen address (CollectorService, health, reflection).", d, s)
	d, s = str(func(c *Config) *string { return &c.Server.TLSCertFile })
	add("FOOTPRINT_COLLECTOR_TLS_CERT_FILE", "PEM certificate; with the key file it turns TLS on. Empty: plaintext.", d, s)
	d, s = str(func(c *Config) *string { return &c.Server.TLSKeyFile })
	add("FOOTPRINT_COLLECTOR_TLS_KEY_FILE", "PEM private key of the TLS certificate.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Server.ShutdownTimeout })
	add("FOOTPRINT_COLLECTOR_SHUTDOWN_TIMEOUT", "On SIGTERM, how long in-flight calls may finish; the producer then flushes for as long again.", d, s)
	d, s = integer(func(c *Config) *int { return &c.Server.MaxRecvMessageBytes })
	add("FOOTPRINT_COLLECTOR_MAX_RECV_BYTES", "Largest request message in bytes; larger calls fail with RESOURCE_EXHAUSTED.", d, s)

	d, s = str(func(c *Config) *string { return &c.Auth.Keys })
	add("FOOTPRINT_COLLECTOR_API_KEYS", "API keys and the sites they own: `key1=siteA,siteB;key2=siteC`.", d, s)
	d, s = str(func(c *Config) *string { return &c.Auth.KeysFile })
	add("FOOTPRINT_COLLECTOR_API_KEYS_FILE", "File with one `key=siteA,siteB` per line (# comments); merged with FOOTPRINT_COLLECTOR_API_KEYS.", d, s)

	d, s = str(func(c *Config) *string { return &c.Enrich.VisitorIDSecret })
	add("FOOTPRINT_COLLECTOR_VISITOR_SECRET", "Secret (16+ bytes) keying the daily salt of cookieless visitor ids; share it between replicas. Empty: random per process, so replicas and restarts derive different ids.", d, s)
	d, s = boolean(func(c *Config) *bool { return &c.Enrich.KeepRawIP })
	add("FOOTPRINT_COLLECTOR_KEEP_RAW_IP", "Keep client.ip in the events written to Kafka (personal data; off by default).", d, s)

	d, s = integer(func(c *Config) *int { return &c.Limits.MaxEventsPerBatch })
	add("FOOTPRINT_COLLECTOR_MAX_EVENTS_PER_BATCH", "Most events per call or stream message; more fails the call with INVALID_ARGUMENT.", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxEventBytes })
	add("FOOTPRINT_COLLECTOR_MAX_EVENT_BYTES", "Largest encoded event; larger ones are rejected (TOO_LARGE).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxProperties })
	add("FOOTPRINT_COLLECTOR_MAX_PROPERTIES", "Most properties per event (TOO_MANY_PROPERTIES).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxPropertyKeyLength })
	add("FOOTPRINT_COLLECTOR_MAX_PROPERTY_KEY_LENGTH", "Longest property key in bytes (TOO_LONG).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxPropertyValueLength })
	add("FOOTPRINT_COLLECTOR_MAX_PROPERTY_VALUE_LENGTH", "Longest property value in bytes (TOO_LONG).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxIDLength })
	add("FOOTPRINT_COLLECTOR_MAX_ID_LENGTH", "Longest site_id, visitor_id, user_id, session_id in bytes (TOO_LONG).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxURLLength })
	add("FOOTPRINT_COLLECTOR_MAX_URL_LENGTH", "Longest page.url, page.path, page.referrer in bytes (TOO_LONG).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Limits.MaxStringLength })
	add("FOOTPRINT_COLLECTOR_MAX_STRING_LENGTH", "Longest other string (title, UTM, user agent, locale, time zone) in bytes (TOO_LONG).", d, s)
	d, s = str(func(c *Config) *string { return &c.Limits.NamePattern })
	add("FOOTPRINT_COLLECTOR_EVENT_NAME_PATTERN", "Regular expression (RE2) every event name must match (INVALID_FORMAT).", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Limits.AllowedClockSkew })
	add("FOOTPRINT_COLLECTOR_ALLOWED_CLOCK_SKEW", "How far occurred_at may lie in the future; beyond it is clamped to received_at and flagged.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Limits.MaxEventAge })
	add("FOOTPRINT_COLLECTOR_MAX_EVENT_AGE", "How far occurred_at may lie in the past; older events are rejected (INVALID_FORMAT).", d, s)

	d, s = str(func(c *Config) *string { return &c.Kafka.Compression })
	add("FOOTPRINT_COLLECTOR_KAFKA_COMPRESSION", "Producer compression: none, gzip, snappy, lz4 or zstd.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Kafka.Linger })
	add("FOOTPRINT_COLLECTOR_KAFKA_LINGER", "How long the producer waits to fill a batch (linger.ms).", d, s)
	d, s = integer(func(c *Config) *int { return &c.Kafka.QueueMaxMessages })
	add("FOOTPRINT_COLLECTOR_KAFKA_QUEUE_MAX_MESSAGES", "Bound of the local produce queue in messages; full fails calls with RESOURCE_EXHAUSTED.", d, s)
	d, s = integer(func(c *Config) *int { return &c.Kafka.QueueMaxKBytes })
	add("FOOTPRINT_COLLECTOR_KAFKA_QUEUE_MAX_KBYTES", "Bound of the local produce queue in KiB.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Kafka.MessageTimeout })
	add("FOOTPRINT_COLLECTOR_KAFKA_MESSAGE_TIMEOUT", "How long the producer keeps trying to deliver one message (message.timeout.ms).", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Kafka.AckTimeout })
	add("FOOTPRINT_COLLECTOR_KAFKA_ACK_TIMEOUT", "Longest wait for Kafka's acknowledgements in one call (shortened by the call's own deadline); then UNAVAILABLE.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Kafka.ReadinessTimeout })
	add("FOOTPRINT_COLLECTOR_READINESS_TIMEOUT", "Timeout of the metadata request behind /readyz.", d, s)
	d, s = duration(func(c *Config) *time.Duration { return &c.Kafka.ReadinessCache })
	add("FOOTPRINT_COLLECTOR_READINESS_CACHE", "How long a /readyz answer is reused.", d, s)
	return append(vars, beaconVars()...)
}

// FromEnv applies the variables that lookup finds to a default Config.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	for _, v := range Vars() {
		value, ok := lookup(v.Name)
		if !ok || value == "" {
			continue
		}
		if err := v.Set(&c, value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.Name, err))
		}
	}
	return c, errors.Join(errs...)
}
