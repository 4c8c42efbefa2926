// Package clickhouse is Footprint's ClickHouse event store: an embedded
// migrator with a version table, the one column table (columns.go) from
// which the INSERT row and the read-back are derived, the batch write the
// ch-writer runs (one event per event_id), retention by dropping monthly
// partitions, and the read helpers tests and tools use. Everything runs on
// ClickHouse 18.16 and on current releases.
package clickhouse

import (
	"errors"
	"slices"
	"time"

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/store/upkeep"
)

// Named configuration errors (and upkeep.ErrKeep, upkeep.ErrEvery).
var (
	ErrAddr     = errors.New("clickhouse store: addr must be host:port (or a comma-separated list of them)")
	ErrDatabase = errors.New("clickhouse store: database is required")
)

// Config configures the ClickHouse store.
type Config struct {
	// Addr is the native-protocol address (host:port).
	Addr string
	// Database holds the events, the keys and the migration table.
	Database       string
	User, Password string
	// Cluster: empty Name for one server (cluster.go).
	Cluster Cluster
	// Upkeep: Keep is in months (monthly partitions).
	Upkeep upkeep.Schedule
}

// DefaultConfig matches the local stack.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:9000", Database: "footprint", User: "default", Upkeep: upkeep.Default()}
}

// Vars are the FOOTPRINT_CH_* variables, bound to c's fields (the
// ch-writer's README lists them; the footprint command reads them too).
func (c *Config) Vars() envconfig.Vars {
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_CH_ADDR", &c.Addr, "ClickHouse native-protocol address, or a comma-separated list of replicas dialled in order (failover)").Check(checkAddrs),
		envconfig.String("FOOTPRINT_CH_DATABASE", &c.Database, "database of the events and migration tables (created if missing and allowed)"),
		envconfig.String("FOOTPRINT_CH_USER", &c.User, "ClickHouse user"),
		envconfig.String("FOOTPRINT_CH_PASSWORD", &c.Password, "ClickHouse password"),
	}, c.Cluster.Vars(), c.Upkeep.Vars(
		"FOOTPRINT_CH_RETENTION_MONTHS", "drop monthly partitions older than this many months; 0 keeps everything",
		"FOOTPRINT_CH_MAINTENANCE_INTERVAL", "how often retention is applied"))
}

// Maintenance is how often the writer runs Maintain.
func (c Config) Maintenance() time.Duration { return c.Upkeep.Maintenance() }

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{c.Upkeep.Validate(), c.Cluster.validate(c.Database), checkAddrs(c.Addr)}
	if c.Database == "" {
		errs = append(errs, ErrDatabase)
	}
	return errors.Join(errs...)
}
