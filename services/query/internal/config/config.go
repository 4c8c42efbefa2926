// Package config gathers the query service's configuration: defaults,
// validation and the environment variables that set each field (the table
// main.go applies, `query -help` prints and the README documents).
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/services/query/internal/auth"
)

// Named configuration errors.
var (
	ErrAddr           = errors.New("config: listen address must be host:port")
	ErrTimeout        = errors.New("config: query timeout must be positive")
	ErrConcurrency    = errors.New("config: max concurrent queries per store must be at least 1")
	ErrQueueWait      = errors.New("config: queue wait must not be negative")
	ErrMaxRangeDays   = errors.New("config: max range days must be between 1 and 3660")
	ErrPostgresURL    = errors.New("config: PostgreSQL URL is required")
	ErrClickHouseAddr = errors.New("config: ClickHouse address is required")
	ErrName           = errors.New("config: schema and database names must be identifiers ([A-Za-z_][A-Za-z0-9_]*)")
	ErrConsistency    = errors.New("config: consistency interval must not be negative and consistency days must be between 1 and max range days")
	ErrWorkMem        = errors.New("config: PostgreSQL work_mem must be a whole number of kB, MB or GB, e.g. 64MB")
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
	// PostgresWorkMem is the work_mem of the service's PostgreSQL sessions.
	PostgresWorkMem string
	// ClickHouseAddr is the native protocol address.
	ClickHouseAddr     string
	ClickHouseDatabase string
	ClickHouseUser     string
	ClickHousePassword string
	ShutdownTimeout    time.Duration
	// LogLevel is parsed once, by FromEnv.
	LogLevel slog.Level
	// ConsistencyInterval is how often the stores are compared for the
	// footprint_consistency_mismatched_days metric; 0 turns the check off.
	ConsistencyInterval time.Duration
	// ConsistencyDays is how many complete UTC days before today it compares.
	ConsistencyDays int
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		GRPCAddr:       "127.0.0.1:50052",
		HTTPAddr:       "127.0.0.1:8090",
		Admin:          admin.Config{Addr: "127.0.0.1:9467"},
		QueryTimeout:   15 * time.Second,
		MaxConcurrent:  8,
		QueueWait:      2 * time.Second,
		MaxRangeDays:   732,
		PostgresURL:    "postgres://footprint_reader:footprint_reader@127.0.0.1:5432/footprint",
		PostgresSchema: "footprint",
		// A visit-level panel sorts every event of the range by visitor:
		// at PostgreSQL's 4MB default that sort spills to disk from about
		// 100k events per range, and 64MB made those panels 2-2.5x faster
		// at 1M events (docs/storage.md). Worst case per store it is a few
		// sorts and hashes per query times MaxConcurrent queries.
		PostgresWorkMem:    "64MB",
		ClickHouseAddr:     "127.0.0.1:9000",
		ClickHouseDatabase: "footprint",
		ClickHouseUser:     "footprint_reader",
		ClickHousePassword: "footprint_reader",
		ShutdownTimeout:    10 * time.Second,
		LogLevel:           slog.LevelInfo,
		// Every 5 minutes over the last 7 complete days: a few cheap
		// per-day aggregates per site, well inside a dashboard query's cost.
		ConsistencyInterval: 5 * time.Minute,
		ConsistencyDays:     7,
	}
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{
		checkAddr(c.GRPCAddr), checkAddr(c.HTTPAddr), c.Admin.Validate(),
		checkTimeout(c.QueryTimeout), checkConcurrency(c.MaxConcurrent), checkQueueWait(c.QueueWait),
		checkMaxRangeDays(c.MaxRangeDays), checkPostgresURL(c.PostgresURL), checkClickHouseAddr(c.ClickHouseAddr),
		checkName(c.PostgresSchema), checkName(c.ClickHouseDatabase), checkWorkMem(c.PostgresWorkMem),
	}
	if _, err := auth.Parse(c.ReadKeys, c.PublicSites); err != nil {
		errs = append(errs, err)
	}
	if c.ConsistencyInterval < 0 || c.ConsistencyDays < 1 || c.ConsistencyDays > c.MaxRangeDays {
		errs = append(errs, ErrConsistency)
	}
	return errors.Join(errs...)
}

// The checks of single fields, shared by Validate and the variable table.

func checkAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: %q", ErrAddr, addr)
	}
	return nil
}

func checkTimeout(d time.Duration) error { return failIf(d <= 0, ErrTimeout) }

func checkConcurrency(n int) error { return failIf(n < 1, ErrConcurrency) }

func checkQueueWait(d time.Duration) error { return failIf(d < 0, ErrQueueWait) }

func checkMaxRangeDays(n int) error { return failIf(n < 1 || n > 3660, ErrMaxRangeDays) }

func checkPostgresURL(s string) error { return failIf(strings.TrimSpace(s) == "", ErrPostgresURL) }

// workMem is the part of PostgreSQL's memory-unit syntax the setting
// accepts: anything else would fail only at the first connection.
var workMem = regexp.MustCompile(`^[1-9][0-9]{0,6}(kB|MB|GB)$`)

func checkWorkMem(s string) error {
	return failIf(!workMem.MatchString(s), fmt.Errorf("%w: %q", ErrWorkMem, s))
}

func checkClickHouseAddr(s string) error {
	return failIf(strings.TrimSpace(s) == "", ErrClickHouseAddr)
}

func checkName(s string) error { return failIf(!IsIdentifier(s), fmt.Errorf("%w: %q", ErrName, s)) }

func failIf(bad bool, err error) error {
	if bad {
		return err
	}
	return nil
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

// Vars is the query service's variable table, bound to c's fields (the
// defaults are c's values now), in README order: FromEnv applies it,
// `query -help` prints it and the README lists it (checked by a test).
// Each check is the one Validate runs, so a bad variable is named at start.
func Vars(c *Config) envconfig.Vars {
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_QUERY_GRPC_ADDR", &c.GRPCAddr, "gRPC listen address (QueryService, health, reflection).").Check(checkAddr),
		envconfig.String("FOOTPRINT_QUERY_HTTP_ADDR", &c.HTTPAddr, "HTTP listen address: the dashboard at / and the JSON API (grpc-gateway) under /api/v1/.").Check(checkAddr),
	}, c.Admin.Vars("ready when both stores answer"), envconfig.Vars{
		envconfig.LogLevel("FOOTPRINT_LOG_LEVEL", &c.LogLevel, "debug, info, warn or error (JSON logs on stderr)."),
		envconfig.String("FOOTPRINT_QUERY_READ_KEYS", &c.ReadKeys, "Read keys and the sites each may read: `key1=siteA,siteB;key2=siteC` (separate from the collector's ingest keys)."),
		envconfig.String("FOOTPRINT_QUERY_PUBLIC_SITES", &c.PublicSites, "Comma-separated sites anyone may read without a key. Empty: every site needs a key."),
		envconfig.Duration("FOOTPRINT_QUERY_TIMEOUT", &c.QueryTimeout, "Longest time one call may take, all its store queries included (then DEADLINE_EXCEEDED).").Check(checkTimeout),
		envconfig.Int("FOOTPRINT_QUERY_MAX_CONCURRENT", &c.MaxConcurrent, "Most queries running at once on each store (also the connection pool size), so a slow store cannot take every request with it.").Check(checkConcurrency),
		envconfig.Duration("FOOTPRINT_QUERY_QUEUE_WAIT", &c.QueueWait, "How long a query waits for a free slot on a busy store before it fails with UNAVAILABLE.").Check(checkQueueWait),
		envconfig.Int("FOOTPRINT_QUERY_MAX_RANGE_DAYS", &c.MaxRangeDays, "Longest date range, in days, a query may ask for (INVALID_ARGUMENT beyond).").Check(checkMaxRangeDays),
		envconfig.String("FOOTPRINT_QUERY_PG_URL", &c.PostgresURL, "PostgreSQL URL of the read-only role (footprint_reader).").Check(checkPostgresURL),
		envconfig.String("FOOTPRINT_QUERY_PG_SCHEMA", &c.PostgresSchema, "PostgreSQL schema holding the events table.").Check(checkName),
		envconfig.String("FOOTPRINT_QUERY_PG_WORK_MEM", &c.PostgresWorkMem, "work_mem of the service's PostgreSQL sessions: memory per sort or hash before it spills to disk (visit-level panels sort every event of the range). Up to a few per query, times FOOTPRINT_QUERY_MAX_CONCURRENT.").Check(checkWorkMem),
		envconfig.String("FOOTPRINT_QUERY_CH_ADDR", &c.ClickHouseAddr, "ClickHouse native protocol address, or a comma-separated list of replicas tried in order.").Check(checkClickHouseAddr),
		envconfig.String("FOOTPRINT_QUERY_CH_DATABASE", &c.ClickHouseDatabase, "ClickHouse database holding the events table.").Check(checkName),
		envconfig.String("FOOTPRINT_QUERY_CH_USER", &c.ClickHouseUser, "ClickHouse user (read-only: footprint_reader)."),
		envconfig.String("FOOTPRINT_QUERY_CH_PASSWORD", &c.ClickHousePassword, "ClickHouse password. Set but empty: no password (like the user default); unset: the default.").EmptyIsValue(),
		envconfig.Duration("FOOTPRINT_QUERY_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, "On SIGTERM, how long in-flight calls may finish."),
		envconfig.Duration("FOOTPRINT_QUERY_CONSISTENCY_INTERVAL", &c.ConsistencyInterval, "How often both stores are compared per site (the footprint consistency check) for the footprint_consistency_mismatched_days metric; 0 turns it off."),
		envconfig.Int("FOOTPRINT_QUERY_CONSISTENCY_DAYS", &c.ConsistencyDays, "How many complete UTC days before today the periodic consistency check compares (today is left out: events still in flight to one writer would flap the metric)."),
	})
}

// FromEnv applies the variables that lookup finds to a default Config. An
// empty value keeps the default, except for the ClickHouse password.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	err := Vars(&c).Apply(lookup)
	return c, err
}
