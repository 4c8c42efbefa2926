// Package postgres is Footprint's PostgreSQL event store: the embedded goose
// migrations, the one column table (columns.go) from which the COPY row and
// the read-back are derived, the batch write the pg-writer runs (events keyed
// by event_id), daily range partitions created ahead with retention by
// dropping them, and the read helpers tests and tools use.
package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Named configuration errors.
var (
	ErrURL             = errors.New("postgres store: url is invalid")
	ErrSchema          = errors.New("postgres store: schema is required")
	ErrRetention       = errors.New("postgres store: retention days must be >= 0")
	ErrPartitionsAhead = errors.New("postgres store: partitions ahead must be between 1 and 366")
	ErrMaintenance     = errors.New("postgres store: maintenance interval must be at least 1s")
)

// Config configures the PostgreSQL store.
type Config struct {
	URL                 string        `help:"PostgreSQL connection URL of the writer role"`
	Schema              string        `help:"schema holding the events table and the goose version table"`
	RetentionDays       int           `help:"drop daily partitions older than this many days; 0 keeps everything"`
	PartitionsAhead     int           `help:"daily partitions created ahead of today"`
	MaintenanceInterval time.Duration `help:"how often partitions are created ahead and retention applied"`
}

// DefaultConfig matches the local stack (deploy/local/stack.sh).
func DefaultConfig() Config {
	return Config{
		URL:                 "postgres://footprint_writer:footprint_writer@127.0.0.1:5432/footprint",
		Schema:              "footprint",
		RetentionDays:       0,
		PartitionsAhead:     7,
		MaintenanceInterval: time.Hour,
	}
}

// Maintenance is how often the writer runs Maintain.
func (c Config) Maintenance() time.Duration { return c.MaintenanceInterval }

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if _, err := pgxpool.ParseConfig(c.URL); c.URL == "" || err != nil {
		errs = append(errs, fmt.Errorf("%w: %v", ErrURL, err))
	}
	if c.Schema == "" {
		errs = append(errs, ErrSchema)
	}
	if c.RetentionDays < 0 {
		errs = append(errs, ErrRetention)
	}
	if c.PartitionsAhead < 1 || c.PartitionsAhead > 366 {
		errs = append(errs, ErrPartitionsAhead)
	}
	if c.MaintenanceInterval < time.Second {
		errs = append(errs, ErrMaintenance)
	}
	return errors.Join(errs...)
}
