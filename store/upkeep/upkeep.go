// Package upkeep is the maintenance schedule both stores share: how often
// the writer runs a store's Maintain, and how much history retention keeps.
package upkeep

import (
	"errors"
	"time"

	"github.com/footprint/footprint/internal/envconfig"
)

// Named configuration errors.
var (
	ErrKeep  = errors.New("store upkeep: retention must be >= 0")
	ErrEvery = errors.New("store upkeep: maintenance interval must be at least 1s")
)

// Schedule is one store's upkeep.
type Schedule struct {
	// Keep is how many whole partitions retention keeps, in the store's
	// partition unit (days in PostgreSQL, months in ClickHouse); 0 keeps
	// everything.
	Keep int
	// Every is how often the writer runs the store's Maintain (partitions
	// ahead, retention).
	Every time.Duration
}

// Default keeps everything and maintains hourly.
func Default() Schedule { return Schedule{Keep: 0, Every: time.Hour} }

// Maintenance is how often the writer runs Maintain.
func (s Schedule) Maintenance() time.Duration { return s.Every }

// FromEnv returns s with the store's two variables applied.
func (s Schedule) FromEnv(env *envconfig.Reader, keepVar, everyVar string) Schedule {
	env.Int(keepVar, &s.Keep)
	env.Duration(everyVar, &s.Every)
	return s
}

// Validate reports every error of the schedule.
func (s Schedule) Validate() error {
	var errs []error
	if s.Keep < 0 {
		errs = append(errs, ErrKeep)
	}
	if s.Every < time.Second {
		errs = append(errs, ErrEvery)
	}
	return errors.Join(errs...)
}
