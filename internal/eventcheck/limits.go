// Package eventcheck is the one definition of what an event may look like:
// the limits (string lengths per field, properties, size, name pattern, time
// bounds) and the checks against them. The collector validates incoming
// events with it and both writers check every message from Kafka with
// Storable before a store sees it, so a message reaches both stores or is
// dead-lettered by both with the same reason.
package eventcheck

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Named configuration errors, joined by Limits.Validate and Limits.Within.
var (
	ErrMaxEventBytes   = errors.New("eventcheck: max event bytes must be at least 256")
	ErrMaxProperties   = errors.New("eventcheck: max properties must not be negative")
	ErrMaxLengths      = errors.New("eventcheck: every max length must be at least 1")
	ErrNamePattern     = errors.New("eventcheck: event name pattern does not compile")
	ErrAboveStoreLimit = errors.New("eventcheck: a limit is above what the stores accept (DefaultLimits)")
)

// The instants both stores can hold: ClickHouse DateTime is unsigned 32-bit
// seconds (an earlier time shows as 0000-00-00); anything outside is a broken
// clock, not an event.
var (
	MinTime = time.Unix(0, 0).UTC()
	MaxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Limits bound the fields of an event.
type Limits struct {
	// MaxEventBytes is the largest protobuf-encoded event the collector
	// accepts, as received.
	MaxEventBytes int
	// MaxProperties is the most entries of Event.properties.
	MaxProperties int
	// MaxPropertyKeyLength is the longest property key, in bytes.
	MaxPropertyKeyLength int
	// MaxPropertyValueLength is the longest property value, in bytes.
	MaxPropertyValueLength int
	// MaxIDLength is the longest site_id, visitor_id, user_id and session_id, in bytes.
	MaxIDLength int
	// MaxURLLength is the longest page.url, page.path and page.referrer, in bytes.
	MaxURLLength int
	// MaxStringLength is the longest of every other string field (title, UTM,
	// user agent, locale, time zone, enrichment strings), in bytes.
	MaxStringLength int
	// NamePattern is the regular expression (RE2) every event name must match.
	NamePattern string
}

// defaultNamePattern is lower-case snake_case of 1-64 bytes; isSnakeName
// matches exactly what it matches.
const defaultNamePattern = `^[a-z][a-z0-9_]{0,63}$`

// DefaultLimits are the limits the stores are built for (PostgreSQL indexes
// site_id, name and path: a value above a few KiB cannot be indexed). The
// writers check them; the collector may configure stricter ones, never
// looser (Within).
func DefaultLimits() Limits {
	return Limits{
		MaxEventBytes:          32 << 10,
		MaxProperties:          50,
		MaxPropertyKeyLength:   64,
		MaxPropertyValueLength: 1024,
		MaxIDLength:            128,
		MaxURLLength:           2048,
		MaxStringLength:        1024,
		NamePattern:            defaultNamePattern,
	}
}

// Validate reports configuration errors.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxEventBytes < 256 {
		errs = append(errs, ErrMaxEventBytes)
	}
	if l.MaxProperties < 0 {
		errs = append(errs, ErrMaxProperties)
	}
	if l.MaxPropertyKeyLength < 1 || l.MaxPropertyValueLength < 1 || l.MaxIDLength < 1 ||
		l.MaxURLLength < 1 || l.MaxStringLength < 1 {
		errs = append(errs, ErrMaxLengths)
	}
	if _, err := regexp.Compile(l.NamePattern); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrNamePattern, err))
	}
	return errors.Join(errs...)
}

// Within reports every numeric limit of l that is above the same limit of
// ceiling, so that whatever l admits, ceiling admits too.
func (l Limits) Within(ceiling Limits) error {
	var errs []error
	for _, f := range []struct {
		name       string
		got, limit int
	}{
		{"max event bytes", l.MaxEventBytes, ceiling.MaxEventBytes},
		{"max properties", l.MaxProperties, ceiling.MaxProperties},
		{"max property key length", l.MaxPropertyKeyLength, ceiling.MaxPropertyKeyLength},
		{"max property value length", l.MaxPropertyValueLength, ceiling.MaxPropertyValueLength},
		{"max id length", l.MaxIDLength, ceiling.MaxIDLength},
		{"max url length", l.MaxURLLength, ceiling.MaxURLLength},
		{"max string length", l.MaxStringLength, ceiling.MaxStringLength},
	} {
		if f.got > f.limit {
			errs = append(errs, fmt.Errorf("%w: %s %d > %d", ErrAboveStoreLimit, f.name, f.got, f.limit))
		}
	}
	return errors.Join(errs...)
}

// MaxStoredEventBytes bounds an event on its way from the collector to the
// stores: the received event (MaxEventBytes) plus what enrichment may add,
// page.path and the UTM fields (each from page.url), the referrer host, the
// browser and OS versions (from the user agent), the visitor id, received_at
// and flags.
func (l Limits) MaxStoredEventBytes() int {
	return l.MaxEventBytes + 3*l.MaxURLLength + 2*l.MaxStringLength + 512
}
