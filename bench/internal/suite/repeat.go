package suite

import (
	"context"
	"errors"
	"fmt"

	"github.com/footprint/footprint/bench/internal/report"
)

// step is one measurement of a round.
type step struct {
	name string
	run  func(ctx context.Context, round int) error
}

// interleave runs every step once per round, in order, for rounds rounds:
// baseline, candidate, baseline, candidate, ... so that a slow drift of a
// shared machine touches both sides of a ratio alike. A failing step does
// not stop the others; the errors are returned joined, each naming its step
// and round. A cancelled ctx ends the run.
func interleave(ctx context.Context, rounds int, steps []step, onDone func(name string, round int, err error)) error {
	var errs []error
	for round := range rounds {
		for _, s := range steps {
			if err := ctx.Err(); err != nil {
				return errors.Join(append(errs, err)...)
			}
			err := s.run(ctx, round)
			if onDone != nil {
				onDone(s.name, round, err)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s (run %d of %d): %w", s.name, round+1, rounds, err))
			}
		}
	}
	return errors.Join(errs...)
}

// series collects the runs of each measurement in the order they were first
// added, and turns them into report measurements (median, min, max).
type series struct {
	order []string
	meta  map[string][2]string // kind, unit
	runs  map[string][]report.Run
	notes map[string]string
}

func newSeries() *series {
	return &series{meta: map[string][2]string{}, runs: map[string][]report.Run{}, notes: map[string]string{}}
}

func (s *series) add(name, kind, unit string, r report.Run) {
	if _, ok := s.meta[name]; !ok {
		s.order = append(s.order, name)
		s.meta[name] = [2]string{kind, unit}
	}
	s.runs[name] = append(s.runs[name], r)
}

// note sets the note shown next to a measurement's name.
func (s *series) note(name, note string) { s.notes[name] = note }

func (s *series) measurements() []report.Measurement {
	out := make([]report.Measurement, 0, len(s.order))
	for _, name := range s.order {
		m := report.Aggregate(name, s.meta[name][0], s.meta[name][1], s.runs[name])
		m.Note = s.notes[name]
		out = append(out, m)
	}
	return out
}
