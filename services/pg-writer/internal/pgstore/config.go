// Package pgstore stores events in PostgreSQL: embedded goose migrations,
// daily range partitions created ahead, retention by dropping partitions, and
// a COPY-into-staging then INSERT ... ON CONFLICT DO NOTHING batch write.
package pgstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Named configuration errors.
var (
	ErrURL             = errors.New("pgstore: url is invalid")
	ErrSchema          = errors.New("pgstore: schema is required")
	ErrRetention       = errors.New("pgstore: retention days must be >= 0")
	ErrPartitionsAhead = errors.New("pgstore: partitions ahead must be between 1 and 366")
	ErrMaintenance     = errors.New("pgstore: maintenance interval must be at least 1s")
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
