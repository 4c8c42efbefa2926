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

// Vars are the store's two upkeep variables, bound to s's fields: keepVar
// sets Keep (keepHelp says the store's unit), everyVar sets Every.
func (s *Schedule) Vars(keepVar, keepHelp, everyVar, everyHelp string) envconfig.Vars {
	return envconfig.Vars{
		envconfig.Int(keepVar, &s.Keep, keepHelp).Check(checkKeep),
		envconfig.Duration(everyVar, &s.Every, everyHelp).Check(checkEvery),
	}
}

// Validate reports every error of the schedule.
func (s Schedule) Validate() error {
	return errors.Join(checkKeep(s.Keep), checkEvery(s.Every))
}

func checkKeep(keep int) error {
	if keep < 0 {
		return ErrKeep
	}
	return nil
}

func checkEvery(every time.Duration) error {
	if every < time.Second {
		return ErrEvery
	}
	return nil
}
