package engine

import (
	"fmt"
	"time"
)

const dateLayout = "2006-01-02"

// Range is a span of whole local days [First, Last] in a time zone, with
// the UTC instants that bound it: [Start, End).
type Range struct {
	First, Last time.Time // local midnights of the first and last day
	Start, End  time.Time // instants: First's midnight and the midnight after Last
	Loc         *time.Location
}

func day(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// newRange builds the range of local days first..last (inclusive).
func newRange(first, last time.Time, loc *time.Location) Range {
	f := day(first.Year(), first.Month(), first.Day(), loc)
	l := day(last.Year(), last.Month(), last.Day(), loc)
	end := day(l.Year(), l.Month(), l.Day()+1, loc)
	return Range{First: f, Last: l, Start: f, End: end, Loc: loc}
}

// Days is the number of days in the range.
func (r Range) Days() int {
	n := 0
	for d := r.First; !d.After(r.Last); d = day(d.Year(), d.Month(), d.Day()+1, r.Loc) {
		n++
	}
	return n
}

// FromLabel and ToLabel print the range's days.
func (r Range) FromLabel() string { return r.First.Format(dateLayout) }

// ToLabel prints the last day.
func (r Range) ToLabel() string { return r.Last.Format(dateLayout) }

// resolvePreset turns a preset into local days, with now in loc.
func resolvePreset(preset string, now time.Time, loc *time.Location) (Range, error) {
	t := now.In(loc)
	today := day(t.Year(), t.Month(), t.Day(), loc)
	back := func(n int) time.Time { return day(today.Year(), today.Month(), today.Day()-n, loc) }
	switch preset {
	case "today":
		return newRange(today, today, loc), nil
	case "yesterday":
		return newRange(back(1), back(1), loc), nil
	case "7d":
		return newRange(back(6), today, loc), nil
	case "30d":
		return newRange(back(29), today, loc), nil
	case "month":
		return newRange(day(today.Year(), today.Month(), 1, loc), today, loc), nil
	case "year":
		return newRange(day(today.Year(), 1, 1, loc), today, loc), nil
	}
	return Range{}, fmt.Errorf("unknown preset %q (today, yesterday, 7d, 30d, month, year)", preset)
}

// previousPeriod is the range of the same number of days just before r.
func previousPeriod(r Range) Range {
	n := r.Days()
	last := day(r.First.Year(), r.First.Month(), r.First.Day()-1, r.Loc)
	first := day(last.Year(), last.Month(), last.Day()-(n-1), r.Loc)
	return newRange(first, last, r.Loc)
}

// yearBefore is the same dates one year earlier (29 February becomes 28).
func yearBefore(r Range) Range {
	shift := func(t time.Time) time.Time {
		d := t.Day()
		if t.Month() == time.February && d == 29 {
			d = 28
		}
		return day(t.Year()-1, t.Month(), d, r.Loc)
	}
	return newRange(shift(r.First), shift(r.Last), r.Loc)
}

// bucketLabel prints the time bucket of instant t, as both stores print it.
func bucketLabel(u timeUnit, t time.Time, loc *time.Location) string {
	l := t.In(loc)
	switch u {
	case unitHour:
		return l.Format("2006-01-02 15:00")
	case unitWeek:
		// Weeks start on Monday (ISO), like PostgreSQL's date_trunc('week')
		// and ClickHouse's toMonday.
		back := (int(l.Weekday()) + 6) % 7
		return day(l.Year(), l.Month(), l.Day()-back, loc).Format(dateLayout)
	case unitMonth:
		return l.Format("2006-01")
	default:
		return l.Format(dateLayout)
	}
}

// bucketLabels lists every bucket of r in order, each once. Hours step
// through instants, so a local hour repeated by a DST change appears once
// (both stores merge it) and a skipped hour never appears.
func bucketLabels(u timeUnit, r Range) []string {
	var out []string
	add := func(label string) {
		if len(out) == 0 || out[len(out)-1] != label {
			out = append(out, label)
		}
	}
	if u == unitHour {
		for t := r.Start; t.Before(r.End); t = t.Add(time.Hour) {
			add(bucketLabel(u, t, r.Loc))
		}
		return out
	}
	for d := r.First; !d.After(r.Last); d = day(d.Year(), d.Month(), d.Day()+1, r.Loc) {
		add(bucketLabel(u, d, r.Loc))
	}
	return out
}
