package eventcheck

import (
	"github.com/google/uuid"
)

// ParseEventID parses an event_id: a UUID in canonical textual form
// (8-4-4-4-12 hexadecimal digits, either case), the form both stores parse,
// and neither the nil UUID nor the max (all-f) UUID, which are placeholders,
// not identities. It is the project's one UUID check.
func ParseEventID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.UUID{}, fieldErr("event_id", ErrInvalidFormat, "event_id must be a UUID in canonical form (8-4-4-4-12 hex digits)")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, fieldErr("event_id", ErrInvalidFormat, "event_id must be a UUID in canonical form (8-4-4-4-12 hex digits)")
	}
	switch id {
	case uuid.Nil:
		return uuid.UUID{}, fieldErr("event_id", ErrInvalidFormat, "event_id must not be the nil UUID")
	case uuid.Max:
		return uuid.UUID{}, fieldErr("event_id", ErrInvalidFormat, "event_id must not be the max (all-f) UUID")
	}
	return id, nil
}
