package ops

// The consistency check: what PostgreSQL and ClickHouse hold for a site, per
// UTC day and event name, the distinct events and the checksum of their ids
// (see the package comment). Where a group differs, it lists sample ids one
// store has and the other lacks. The footprint command prints it; a service
// can run it for a metric (Report.MismatchedDays).

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Tallier is what both store packages offer for the check.
type Tallier interface {
	DayTallies(ctx context.Context, site string, from, to time.Time) ([]DayTally, error)
	DayEventIDs(ctx context.Context, site string, day time.Time, name string) ([]string, error)
}

// Side is one store's numbers for a group.
type Side struct {
	Events   int64
	Checksum uint64
}

// Row is one (day, name) group held by either store.
type Row struct {
	Day        time.Time
	Name       string
	Postgres   Side
	ClickHouse Side
}

// Equal reports whether both stores hold the same ids in the group.
func (r Row) Equal() bool { return r.Postgres == r.ClickHouse }

// Sample is an event id only one store holds.
type Sample struct {
	ID, Name string
	Day      time.Time
	OnlyIn   string // "postgres" or "clickhouse"
}

// Report is the result of Check.
type Report struct {
	Site     string
	From, To time.Time
	Rows     []Row
	Samples  []Sample
}

// Agree reports whether every group is equal in both stores.
func (r Report) Agree() bool { return r.MismatchedDays() == 0 }

// MismatchedDays counts the days with at least one differing group.
func (r Report) MismatchedDays() int {
	days := map[time.Time]bool{}
	for _, row := range r.Rows {
		if !row.Equal() {
			days[row.Day] = true
		}
	}
	return len(days)
}

type key struct {
	day  time.Time
	name string
}

// Check compares site's events from..to (UTC days, inclusive) in both
// stores and collects up to samples ids that one store lacks.
func Check(ctx context.Context, pg, ch Tallier, site string, from, to time.Time, samples int) (Report, error) {
	rep := Report{Site: site, From: from, To: to}
	rows := map[key]*Row{}
	for _, side := range []struct {
		s   Tallier
		set func(*Row, DayTally)
	}{
		{pg, func(r *Row, t DayTally) { r.Postgres = Side{t.Events, t.Checksum} }},
		{ch, func(r *Row, t DayTally) { r.ClickHouse = Side{t.Events, t.Checksum} }},
	} {
		tallies, err := side.s.DayTallies(ctx, site, from, to)
		if err != nil {
			return rep, err
		}
		for _, t := range tallies {
			k := key{t.Day, t.Name}
			if rows[k] == nil {
				rows[k] = &Row{Day: t.Day, Name: t.Name}
			}
			side.set(rows[k], t)
		}
	}
	for _, r := range rows {
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	var err error
	rep.Samples, err = sampleMissing(ctx, pg, ch, site, rep.Rows, samples)
	return rep, err
}

// sampleMissing lists up to n ids of the differing groups that only one
// store holds. It reads each differing group's ids from both stores, so it
// stops as soon as it has n.
func sampleMissing(ctx context.Context, pg, ch Tallier, site string, rows []Row, n int) ([]Sample, error) {
	var out []Sample
	for _, r := range rows {
		if r.Equal() || len(out) >= n {
			continue
		}
		pgIDs, err := pg.DayEventIDs(ctx, site, r.Day, r.Name)
		if err != nil {
			return out, err
		}
		chIDs, err := ch.DayEventIDs(ctx, site, r.Day, r.Name)
		if err != nil {
			return out, err
		}
		for _, d := range []struct {
			have, other []string
			where       string
		}{{pgIDs, chIDs, "postgres"}, {chIDs, pgIDs, "clickhouse"}} {
			other := map[string]bool{}
			for _, id := range d.other {
				other[id] = true
			}
			slices.Sort(d.have)
			for _, id := range d.have {
				if !other[id] && len(out) < n {
					out = append(out, Sample{ID: id, Name: r.Name, Day: r.Day, OnlyIn: d.where})
				}
			}
		}
	}
	return out, nil
}
