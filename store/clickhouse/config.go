// Package clickhouse is Footprint's ClickHouse event store: an embedded
// migrator with a version table, the one column table (columns.go) from
// which the INSERT row and the read-back are derived, the batch write the
// ch-writer runs (one event per event_id), retention by dropping monthly
// partitions, and the read helpers tests and tools use. Everything runs on
// ClickHouse 18.16 and on current releases.
package clickhouse

import (
	"errors"
	"net"
	"time"
)

// Named configuration errors.
var (
	ErrAddr        = errors.New("clickhouse store: addr must be host:port")
	ErrDatabase    = errors.New("clickhouse store: database is required")
	ErrRetention   = errors.New("clickhouse store: retention months must be >= 0")
	ErrMaintenance = errors.New("clickhouse store: maintenance interval must be at least 1s")
)

// Config configures the ClickHouse store.
type Config struct {
	Addr                string        `help:"ClickHouse native-protocol address (host:port)"`
	Database            string        `help:"database holding the events table and the migration table"`
	User                string        `help:"ClickHouse user"`
	Password            string        `help:"ClickHouse password"`
	RetentionMonths     int           `help:"drop monthly partitions older than this many months; 0 keeps everything"`
	MaintenanceInterval time.Duration `help:"how often retention is applied"`
}

// DefaultConfig matches the local stack.
func DefaultConfig() Config {
	return Config{
		Addr:                "127.0.0.1:9000",
		Database:            "footprint",
		User:                "default",
		RetentionMonths:     0,
		MaintenanceInterval: time.Hour,
	}
}

// Maintenance is how often the writer runs Maintain.
func (c Config) Maintenance() time.Duration { return c.MaintenanceInterval }

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, ErrAddr)
	}
	if c.Database == "" {
		errs = append(errs, ErrDatabase)
	}
	if c.RetentionMonths < 0 {
		errs = append(errs, ErrRetention)
	}
	if c.MaintenanceInterval < time.Second {
		errs = append(errs, ErrMaintenance)
	}
	return errors.Join(errs...)
}
