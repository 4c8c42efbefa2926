// Package ops holds the types the operations queries of both stores return
// (store/postgres/ops.go, store/clickhouse/ops.go), which the footprint
// command compares and acts on.
//
// The event-id checksum is defined once, here, and implemented in each
// store's SQL: the first 8 bytes of MD5 of the event id's canonical text
// (lower case, with dashes), read as a big-endian unsigned 64-bit integer,
// summed modulo 2^64 over the distinct ids of a group. A sum is
// order-independent, so two stores holding the same ids agree whatever the
// order they stored them in; one id more or less changes the sum.
package ops

import (
	"errors"
	"fmt"
	"time"
)

// DayTally is one (UTC day, event name) group of a site's events.
type DayTally struct {
	Day      time.Time // midnight UTC
	Name     string
	Events   int64  // distinct event ids
	Checksum uint64 // see the package comment
}

// Kind says which id an erasure matches.
type Kind int

// The ids an erasure request names.
const (
	Visitor Kind = iota + 1
	User
)

// Column is the events column that holds the id in both stores.
func (k Kind) Column() string {
	if k == User {
		return "user_id"
	}
	return "visitor_id"
}

func (k Kind) String() string {
	if k == User {
		return "user"
	}
	return "visitor"
}

// ErrSubject is returned for an erasure subject without a site or an id.
var ErrSubject = errors.New("store ops: an erasure needs a site and a visitor or user id")

// Subject is whose events an erasure removes: every event of Site whose
// visitor_id (Kind Visitor) or user_id (Kind User) is ID.
type Subject struct {
	Site string
	Kind Kind
	ID   string
}

// Validate reports an incomplete subject (an empty id would match every
// anonymous event).
func (s Subject) Validate() error {
	if s.Site == "" || s.ID == "" || (s.Kind != Visitor && s.Kind != User) {
		return fmt.Errorf("%w: got site %q, %s %q", ErrSubject, s.Site, s.Kind, s.ID)
	}
	return nil
}

// DayRange returns the instants [from, to+1 day) of the UTC days from..to.
func DayRange(from, to time.Time) (time.Time, time.Time) {
	y, m, d := from.UTC().Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	y, m, d = to.UTC().Date()
	return start, time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
}
