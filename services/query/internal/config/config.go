// Package config gathers the query service's configuration: defaults,
// validation and the environment variables that set each field (the table
// main.go applies, `query -help` prints and the README documents).
package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/services/query/internal/auth"
)

// Named configuration errors.
var (
	ErrLogLevel       = errors.New("config: log level must be debug, info, warn or error")
	ErrAddr           = errors.New("config: listen address must be host:port")
	ErrTimeout        = errors.New("config: query timeout must be positive")
	ErrConcurrency    = errors.New("config: max concurrent queries per store must be at least 1")
	ErrQueueWait      = errors.New("config: queue wait must not be negative")
	ErrMaxRangeDays   = errors.New("config: max range days must be between 1 and 3660")
	ErrPostgresURL    = errors.New("config: PostgreSQL URL is required")
	ErrClickHouseAddr = errors.New("config: ClickHouse address is required")
	ErrName           = errors.New("config: schema and database names must be identifiers ([A-Za-z_][A-Za-z0-9_]*)")
	ErrConsistency    = errors.New("config: consistency interval must not be negative and consistency days must be between 1 and max range days")
)

// Config is the whole query service configuration.
type Config struct {
	// GRPCAddr serves QueryService, health and reflection.
	GRPCAddr string
	// HTTPAddr serves the dashboard at / and the JSON API under /api/v1/.
	HTTPAddr string
	Admin    admin.Config
	// ReadKeys is `key1=siteA,siteB;key2=siteC`.
	ReadKeys string
	// PublicSites are readable without a key, comma-separated.
	PublicSites string
	// QueryTimeout bounds one API call, all its store queries included.
	QueryTimeout time.Duration
	// MaxConcurrent bounds the queries running on each store at once.
	MaxConcurrent int
	// QueueWait is how long a query waits for a free slot before UNAVAILABLE.
	QueueWait time.Duration
	// MaxRangeDays is the longest date range a query may ask for.
	MaxRangeDays int
	// PostgresURL connects as the read-only role.
	PostgresURL string
	// PostgresSchema holds the events table.
	PostgresSchema string
	// ClickHouseAddr is the native protocol address.
	ClickHouseAddr     string
	ClickHouseDatabase string
	ClickHouseUser     string
	ClickHousePassword string
	ShutdownTimeout    time.Duration
	LogLevel           string
	// ConsistencyInterval is how often the stores are compared for the
	// footprint_consistency_mismatched_days metric; 0 turns the check off.
	ConsistencyInterval time.Duration
	// ConsistencyDays is how many complete UTC days before today it compares.
	ConsistencyDays int
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		GRPCAddr:           "127.0.0.1:50052",
		HTTPAddr:           "127.0.0.1:8090",
		Admin:              admin.Config{Addr: "127.0.0.1:9467"},
		QueryTimeout:       15 * time.Second,
		MaxConcurrent:      8,
		QueueWait:          2 * time.Second,
		MaxRangeDays:       732,
		PostgresURL:        "postgres://footprint_reader:footprint_reader@127.0.0.1:5432/footprint",
		PostgresSchema:     "footprint",
		ClickHouseAddr:     "127.0.0.1:9000",
		ClickHouseDatabase: "footprint",
		ClickHouseUser:     "footprint_reader",
		ClickHousePassword: "footprint_reader",
		ShutdownTimeout:    10 * time.Second,
		LogLevel:           "info",
		// Every 5 minutes over the last 7 complete days: a few cheap
		// per-day aggregates per site, well inside a dashboard query's cost.
		ConsistencyInterval: 5 * time.Minute,
		ConsistencyDays:     7,
	}
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct{ name, addr string }{{"grpc", c.GRPCAddr}, {"http", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s %q", ErrAddr, a.name, a.addr))
		}
	}
	if err := c.Admin.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := auth.Parse(c.ReadKeys, c.PublicSites); err != nil {
		errs = append(errs, err)
	}
	if c.QueryTimeout <= 0 {
		errs = append(errs, ErrTimeout)
	}
	if c.MaxConcurrent < 1 {
		errs = append(errs, ErrConcurrency)
	}
	if c.QueueWait < 0 {
		errs = append(errs, ErrQueueWait)
	}
	if c.MaxRangeDays < 1 || c.MaxRangeDays > 3660 {
		errs = append(errs, ErrMaxRangeDays)
	}
	if strings.TrimSpace(c.PostgresURL) == "" {
		errs = append(errs, ErrPostgresURL)
	}
	if strings.TrimSpace(c.ClickHouseAddr) == "" {
		errs = append(errs, ErrClickHouseAddr)
	}
	if c.ConsistencyInterval < 0 || c.ConsistencyDays < 1 || c.ConsistencyDays > c.MaxRangeDays {
		errs = append(errs, ErrConsistency)
	}
	if !IsIdentifier(c.PostgresSchema) || !IsIdentifier(c.ClickHouseDatabase) {
		errs = append(errs, ErrName)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, ErrLogLevel)
	}
	return errors.Join(errs...)
}

// IsIdentifier reports whether s is safe to splice into SQL as a schema or
// database name (they cannot be bound parameters).
func IsIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// Var is one environment variable: name, help, and how it reads and sets a
// field of Config.
type Var struct {
	Name    string
	Help    string
	Default func(c *Config) string
	Set     func(c *Config, value string) error
	// EmptyIsValue: a variable set to the empty string sets the field to
	// empty (a ClickHouse user without a password); for the others an
	// empty value is treated as unset and keeps the default.
	EmptyIsValue bool
}

func str(name, help string, field func(c *Config) *string) Var {
	return Var{Name: name, Help: help,
		Default: func(c *Config) string { return *field(c) },
		Set:     func(c *Config, v string) error { *field(c) = v; return nil }}
}

func integer(name, help string, field func(c *Config) *int) Var {
	return Var{Name: name, Help: help,
		Default: func(c *Config) string { return strconv.Itoa(*field(c)) },
		Set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not an integer: %w", err)
			}
			*field(c) = n
			return nil
		}}
}

func duration(name, help string, field func(c *Config) *time.Duration) Var {
	return Var{Name: name, Help: help,
		Default: func(c *Config) string { return field(c).String() },
		Set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration (like 500ms, 30s): %w", err)
			}
			*field(c) = d
			return nil
		}}
}

func boolean(name, help string, field func(c *Config) *bool) Var {
	return Var{Name: name, Help: help,
		Default: func(c *Config) string { return strconv.FormatBool(*field(c)) },
		Set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a boolean: %w", err)
			}
			*field(c) = b
			return nil
		}}
}

func emptyAllowed(v Var) Var { v.EmptyIsValue = true; return v }

// Vars lists every environment variable of the query service, in README order.
func Vars() []Var {
	return []Var{
		str("FOOTPRINT_QUERY_GRPC_ADDR", "gRPC listen address (QueryService, health, reflection).",
			func(c *Config) *string { return &c.GRPCAddr }),
		str("FOOTPRINT_QUERY_HTTP_ADDR", "HTTP listen address: the dashboard at / and the JSON API (grpc-gateway) under /api/v1/.",
			func(c *Config) *string { return &c.HTTPAddr }),
		str("FOOTPRINT_ADMIN_ADDR", "Admin HTTP address: /metrics, /healthz, /readyz (ready when both stores answer), /debug/pprof/ when FOOTPRINT_ADMIN_PPROF is true.",
			func(c *Config) *string { return &c.Admin.Addr }),
		boolean("FOOTPRINT_ADMIN_PPROF", "Serve /debug/pprof/ on the admin port (off: it exposes profiles to whoever reaches the port).",
			func(c *Config) *bool { return &c.Admin.Pprof }),
		str("FOOTPRINT_LOG_LEVEL", "debug, info, warn or error (JSON logs on stderr).",
			func(c *Config) *string { return &c.LogLevel }),
		str("FOOTPRINT_QUERY_READ_KEYS", "Read keys and the sites each may read: `key1=siteA,siteB;key2=siteC` (separate from the collector's ingest keys).",
			func(c *Config) *string { return &c.ReadKeys }),
		str("FOOTPRINT_QUERY_PUBLIC_SITES", "Comma-separated sites anyone may read without a key. Empty: every site needs a key.",
			func(c *Config) *string { return &c.PublicSites }),
		duration("FOOTPRINT_QUERY_TIMEOUT", "Longest time one call may take, all its store queries included (then DEADLINE_EXCEEDED).",
			func(c *Config) *time.Duration { return &c.QueryTimeout }),
		integer("FOOTPRINT_QUERY_MAX_CONCURRENT", "Most queries running at once on each store (also the connection pool size), so a slow store cannot take every request with it.",
			func(c *Config) *int { return &c.MaxConcurrent }),
		duration("FOOTPRINT_QUERY_QUEUE_WAIT", "How long a query waits for a free slot on a busy store before it fails with UNAVAILABLE.",
			func(c *Config) *time.Duration { return &c.QueueWait }),
		integer("FOOTPRINT_QUERY_MAX_RANGE_DAYS", "Longest date range, in days, a query may ask for (INVALID_ARGUMENT beyond).",
			func(c *Config) *int { return &c.MaxRangeDays }),
		str("FOOTPRINT_QUERY_PG_URL", "PostgreSQL URL of the read-only role (footprint_reader).",
			func(c *Config) *string { return &c.PostgresURL }),
		str("FOOTPRINT_QUERY_PG_SCHEMA", "PostgreSQL schema holding the events table.",
			func(c *Config) *string { return &c.PostgresSchema }),
		str("FOOTPRINT_QUERY_CH_ADDR", "ClickHouse native protocol address, or a comma-separated list of replicas tried in order.",
			func(c *Config) *string { return &c.ClickHouseAddr }),
		str("FOOTPRINT_QUERY_CH_DATABASE", "ClickHouse database holding the events table.",
			func(c *Config) *string { return &c.ClickHouseDatabase }),
		str("FOOTPRINT_QUERY_CH_USER", "ClickHouse user (read-only: footprint_reader).",
			func(c *Config) *string { return &c.ClickHouseUser }),
		emptyAllowed(str("FOOTPRINT_QUERY_CH_PASSWORD", "ClickHouse password. Set but empty: no password (like the user default); unset: the default.",
			func(c *Config) *string { return &c.ClickHousePassword })),
		duration("FOOTPRINT_QUERY_SHUTDOWN_TIMEOUT", "On SIGTERM, how long in-flight calls may finish.",
			func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
		duration("FOOTPRINT_QUERY_CONSISTENCY_INTERVAL", "How often both stores are compared per site (the footprint consistency check) for the footprint_consistency_mismatched_days metric; 0 turns it off.",
			func(c *Config) *time.Duration { return &c.ConsistencyInterval }),
		integer("FOOTPRINT_QUERY_CONSISTENCY_DAYS", "How many complete UTC days before today the periodic consistency check compares (today is left out: events still in flight to one writer would flap the metric).",
			func(c *Config) *int { return &c.ConsistencyDays }),
	}
}

// FromEnv applies the variables that lookup finds to a default Config. An
// empty value counts only for variables with EmptyIsValue.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	for _, v := range Vars() {
		value, ok := lookup(v.Name)
		if !ok || (value == "" && !v.EmptyIsValue) {
			continue
		}
		if err := v.Set(&c, value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.Name, err))
		}
	}
	return c, errors.Join(errs...)
}
