package erasure

import (
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// Set is the erased subjects: the latest request per subject. It is not
// safe for concurrent use; View guards its own.
type Set struct {
	erased map[string]time.Time // Key -> erased_at (kept for the audit trail)
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{erased: map[string]time.Time{}} }

// Add records r. A tombstone (no record) never withdraws an erasure, so
// there is no Remove.
func (s *Set) Add(r Record) {
	k := r.Key()
	if r.ErasedAt.After(s.erased[k]) || !s.has(k) {
		s.erased[k] = r.ErasedAt
	}
}

func (s *Set) has(k string) bool { _, ok := s.erased[k]; return ok }

// Len is the number of erased subjects.
func (s *Set) Len() int { return len(s.erased) }

// Erased reports whether ev belongs to an erased visitor or user of its
// site, whenever it occurred (see the package comment).
func (s *Set) Erased(ev *eventv1.Event) bool {
	if len(s.erased) == 0 {
		return false
	}
	site := ev.GetSiteId()
	if v := ev.GetVisitorId(); v != "" && s.has(Key(KindVisitor, site, v)) {
		return true
	}
	u := ev.GetUserId()
	return u != "" && s.has(Key(KindUser, site, u))
}
