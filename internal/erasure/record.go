// Package erasure is the one definition of an erasure request as kept on the
// compacted erasure topic (footprint.erasures.v1), of the set of erased
// subjects read back from it, and of the View that keeps that set current
// for a process that must not store erased events: the writers (through
// internal/sink) and `footprint replay`. The footprint command's erase
// subcommand produces the records.
//
// An erasure is final and covers the subject's past and future events: a
// visitor or user who asked to be forgotten is not collected again under
// the same id. Matching does not depend on any clock (event times are the
// client's, the erasure time the operator's), so an event in flight while
// the erasure is carried out can never slip through as "newer".
package erasure

import (
	"encoding/json"
	"fmt"
	"time"
)

// The ids an erasure names, as the record's and the key's kind.
const (
	KindVisitor = "visitor"
	KindUser    = "user"
)

// Record is one erasure request as kept on the erasure topic. It holds who
// is erased and who asked, never any erased data.
type Record struct {
	Site     string    `json:"site"`
	Visitor  string    `json:"visitor,omitempty"`
	User     string    `json:"user,omitempty"`
	ErasedAt time.Time `json:"erased_at"`
	Operator string    `json:"operator"`
}

// Kind is the kind of id the record erases.
func (r Record) Kind() string {
	if r.User != "" {
		return KindUser
	}
	return KindVisitor
}

// ID is the erased visitor or user id.
func (r Record) ID() string {
	if r.User != "" {
		return r.User
	}
	return r.Visitor
}

// Key is the record's Kafka key: compaction keeps one record per subject.
func (r Record) Key() string { return Key(r.Kind(), r.Site, r.ID()) }

// Key identifies a subject: kind, site and id.
func Key(kind, site, id string) string { return kind + "\x00" + site + "\x00" + id }

// Decode parses a record read from the erasure topic.
func Decode(value []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(value, &r); err != nil {
		return Record{}, fmt.Errorf("erasure record: %w", err)
	}
	if r.Site == "" || r.ID() == "" {
		return Record{}, fmt.Errorf("erasure record without site or id: %s", value)
	}
	return r, nil
}
