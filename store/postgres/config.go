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

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/store/upkeep"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Named configuration errors (and upkeep.ErrKeep, upkeep.ErrEvery).
var (
	ErrURL             = errors.New("postgres store: url is invalid")
	ErrSchema          = errors.New("postgres store: schema is required")
	ErrPartitionsAhead = errors.New("postgres store: partitions ahead must be between 1 and 366")
)

// Config configures the PostgreSQL store.
type Config struct {
	// URL is the PostgreSQL connection URL of the writer role.
	URL string
	// Schema holds the events, the keys and goose's version table.
	Schema string
	// PartitionsAhead is how many daily partitions are created ahead of today.
	PartitionsAhead int
	// Upkeep: Keep is in days (daily partitions).
	Upkeep upkeep.Schedule
}

// DefaultConfig matches the local stack (deploy/local/stack.sh).
func DefaultConfig() Config {
	return Config{
		URL:             "postgres://footprint_writer:footprint_writer@127.0.0.1:5432/footprint",
		Schema:          "footprint",
		PartitionsAhead: 7,
		Upkeep:          upkeep.Default(),
	}
}

// FromEnv returns c with the FOOTPRINT_PG_* variables applied (the
// pg-writer's README lists them).
func (c Config) FromEnv(env *envconfig.Reader) Config {
	env.String("FOOTPRINT_PG_URL", &c.URL)
	env.String("FOOTPRINT_PG_SCHEMA", &c.Schema)
	env.Int("FOOTPRINT_PG_PARTITIONS_AHEAD", &c.PartitionsAhead)
	c.Upkeep = c.Upkeep.FromEnv(env, "FOOTPRINT_PG_RETENTION_DAYS", "FOOTPRINT_PG_MAINTENANCE_INTERVAL")
	return c
}

// Maintenance is how often the writer runs Maintain.
func (c Config) Maintenance() time.Duration { return c.Upkeep.Maintenance() }

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{c.Upkeep.Validate()}
	if _, err := pgxpool.ParseConfig(c.URL); c.URL == "" || err != nil {
		errs = append(errs, fmt.Errorf("%w: %v", ErrURL, err))
	}
	if c.Schema == "" {
		errs = append(errs, ErrSchema)
	}
	if c.PartitionsAhead < 1 || c.PartitionsAhead > 366 {
		errs = append(errs, ErrPartitionsAhead)
	}
	return errors.Join(errs...)
}
