// Package postgres is Footprint's PostgreSQL event store: the embedded goose
// migrations, the one column table (columns.go) from which the COPY row and
// the read-back are derived, the batch write the pg-writer runs (events keyed
// by event_id), daily range partitions created ahead with retention by
// dropping them, and the read helpers tests and tools use.
package postgres

import (
	"errors"
	"fmt"
	"slices"
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

// Vars are the FOOTPRINT_PG_* variables, bound to c's fields (the
// pg-writer's README lists them; the footprint command reads them too).
func (c *Config) Vars() envconfig.Vars {
	return slices.Concat(envconfig.Vars{
		envconfig.String("FOOTPRINT_PG_URL", &c.URL, "PostgreSQL URL of the writer role").Check(checkURL),
		envconfig.String("FOOTPRINT_PG_SCHEMA", &c.Schema, "schema of the events table and the goose version table (created if missing and allowed)"),
		envconfig.Int("FOOTPRINT_PG_PARTITIONS_AHEAD", &c.PartitionsAhead, "daily partitions created ahead of today").Check(checkPartitionsAhead),
	}, c.Upkeep.Vars(
		"FOOTPRINT_PG_RETENTION_DAYS", "drop daily partitions older than this many days; 0 keeps everything",
		"FOOTPRINT_PG_MAINTENANCE_INTERVAL", "how often partitions are created ahead and retention applied"))
}

// Maintenance is how often the writer runs Maintain.
func (c Config) Maintenance() time.Duration { return c.Upkeep.Maintenance() }

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	errs := []error{c.Upkeep.Validate(), checkURL(c.URL), checkPartitionsAhead(c.PartitionsAhead)}
	if c.Schema == "" {
		errs = append(errs, ErrSchema)
	}
	return errors.Join(errs...)
}

func checkURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); url == "" || err != nil {
		return fmt.Errorf("%w: %v", ErrURL, err)
	}
	return nil
}

func checkPartitionsAhead(n int) error {
	if n < 1 || n > 366 {
		return ErrPartitionsAhead
	}
	return nil
}
