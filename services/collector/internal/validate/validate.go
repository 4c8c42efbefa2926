// Package validate normalises and checks one event against the collector's
// limits. Each event gets its own verdict, with the offending field as a
// path, a reason class and a readable message; only a call over
// MaxEventsPerBatch fails as a whole (the server checks that). The limits
// and the field checks are internal/eventcheck's, the ones the writers apply
// again before a store sees the event.
package validate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
	"github.com/footprint/footprint/services/collector/internal/eventenc"
)

// DefaultEventName is the name of an event that names none.
const DefaultEventName = "page_view"

// Named configuration errors, joined by Config.Validate with those of
// eventcheck.Limits (ErrMaxEventBytes, ErrMaxLengths, ErrNamePattern, ...).
var (
	ErrMaxEventsPerBatch = errors.New("validate: max events per batch must be at least 1")
	ErrClockSkew         = errors.New("validate: allowed clock skew must not be negative")
	ErrMaxAge            = errors.New("validate: max event age must be positive")
)

// Config holds the limits events are checked against.
type Config struct {
	// Limits are the per-event limits shared with the writers. They may be
	// lowered, never raised above eventcheck.DefaultLimits (what the stores
	// accept): the writers would dead-letter what the collector acknowledged.
	eventcheck.Limits
	// MaxEventsPerBatch is the most events one Ingest call (or one stream
	// message) may carry; more fails the whole call with InvalidArgument.
	MaxEventsPerBatch int
	// AllowedClockSkew is how far occurred_at may lie after received_at
	// before it is clamped to received_at.
	AllowedClockSkew time.Duration
	// MaxEventAge is how far occurred_at may lie before received_at; older
	// events are rejected (the stores keep partitions for a bounded past).
	MaxEventAge time.Duration
}

// DefaultConfig returns the documented default limits.
func DefaultConfig() Config {
	return Config{
		Limits:            eventcheck.DefaultLimits(),
		MaxEventsPerBatch: 1000,
		AllowedClockSkew:  time.Minute,
		MaxEventAge:       30 * 24 * time.Hour,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	errs := []error{c.Limits.Validate(), c.Limits.Within(eventcheck.DefaultLimits())}
	if c.MaxEventsPerBatch < 1 {
		errs = append(errs, ErrMaxEventsPerBatch)
	}
	if c.AllowedClockSkew < 0 {
		errs = append(errs, ErrClockSkew)
	}
	if c.MaxEventAge <= 0 {
		errs = append(errs, ErrMaxAge)
	}
	return errors.Join(errs...)
}

// Rejection says why one event was rejected.
type Rejection struct {
	Reason  collectorv1.RejectReason
	Field   string
	Message string
}

func (r *Rejection) Error() string { return r.Field + ": " + r.Message }

// Validator checks and normalises events. It is safe for concurrent use.
type Validator struct {
	cfg   Config
	check *eventcheck.Checker
	// stores checks names against the stores' pattern too when the
	// configured one differs: a name only the custom pattern admits would
	// be dead-lettered by the writers. Nil when the patterns are the same.
	stores *eventcheck.Checker
}

// New builds a Validator; cfg must have passed Validate.
func New(cfg Config) (*Validator, error) {
	check, err := eventcheck.New(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("event limits: %w", err)
	}
	v := &Validator{cfg: cfg, check: check}
	if def := eventcheck.DefaultLimits(); cfg.NamePattern != def.NamePattern {
		if v.stores, err = eventcheck.New(def); err != nil {
			return nil, fmt.Errorf("stores' event limits: %w", err)
		}
	}
	return v, nil
}

// MaxEventsPerBatch is the configured batch limit.
func (v *Validator) MaxEventsPerBatch() int { return v.cfg.MaxEventsPerBatch }

// Outcome is what Prepare did to an accepted event.
type Outcome struct {
	// ClockClamped is true when occurred_at lay too far in the future and was
	// replaced by receivedAt.
	ClockClamped bool
	// EventIDAssigned is true when the event had no id and got a UUIDv7.
	EventIDAssigned bool
	// PageURL and Referrer are page.url and page.referrer parsed (nil when
	// empty), for enrichment to use instead of parsing them again.
	PageURL, Referrer *url.URL
}

// Prepare checks ev and, when it is acceptable, normalises it in place:
// canonical event_id (a new UUIDv7 when empty), default name, received_at,
// occurred_at (defaulted, or clamped when too far in the future), page.path
// from page.url, upper-case http_method. A rejected event is left in an
// unspecified state.
func (v *Validator) Prepare(ev *eventv1.Event, receivedAt time.Time) (Outcome, *Rejection) {
	var out Outcome
	// eventenc.Size is proto.Size without reflection (it was 9% of the CPU per event).
	if err := v.check.ReceivedBytes(eventenc.Size(ev)); err != nil {
		return out, rejection(err)
	}
	clientID, assigned, err := identify(ev)
	if err != nil {
		return out, rejection(err)
	}
	out.EventIDAssigned = assigned
	if err := v.checkNames(ev); err != nil {
		return out, rejection(err)
	}
	if out.ClockClamped, err = v.normaliseTime(ev, receivedAt, clientID); err != nil {
		return out, rejection(err)
	}
	if out.PageURL, out.Referrer, err = v.preparePage(ev); err != nil {
		return out, rejection(err)
	}
	ev.HttpMethod = strings.ToUpper(ev.HttpMethod)
	for _, check := range []func(*eventv1.Event) error{v.check.HTTP, v.check.Client, v.check.UTM, v.check.Properties} {
		if err := check(ev); err != nil {
			return out, rejection(err)
		}
	}
	return out, nil
}

// CheckEnriched checks what enrichment added after Prepare: UTM values
// taken from page.url and the derived strings, against the limits the
// writers apply (a page.url may be twice as long as a UTM value may be). An
// event that fails would be acknowledged here and dead-lettered by both
// writers.
func (v *Validator) CheckEnriched(ev *eventv1.Event) *Rejection {
	if err := v.check.UTM(ev); err != nil {
		return rejection(err)
	}
	if err := v.check.Enrichment(ev); err != nil {
		return rejection(err)
	}
	return nil
}

// identify canonicalises the client's event_id, or assigns a UUIDv7 when
// there is none. It returns the client's id (zero when assigned).
func identify(ev *eventv1.Event) (clientID uuid.UUID, assigned bool, err error) {
	if ev.EventId != "" {
		id, err := eventcheck.ParseEventID(ev.EventId)
		if err != nil {
			return uuid.UUID{}, false, err
		}
		// Most clients send the canonical (lower-case) form already: keep
		// their string rather than allocate an equal one.
		var canonical [36]byte
		if encodeCanonical(&canonical, id); string(canonical[:]) != ev.EventId {
			ev.EventId = string(canonical[:])
		}
		return id, false, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		// The system's random source failed; v4 uses the same source, so
		// there is no better fallback than rejecting the event.
		return uuid.UUID{}, false, &eventcheck.FieldError{Field: "event_id", Kind: eventcheck.ErrRequired,
			Detail: fmt.Sprintf("could not assign an id: %v", err)}
	}
	ev.EventId = id.String()
	return uuid.UUID{}, true, nil
}

// encodeCanonical writes the canonical textual form of id (what
// uuid.UUID.String returns) into dst without allocating.
func encodeCanonical(dst *[36]byte, id uuid.UUID) {
	const hexDigits = "0123456789abcdef"
	j := 0
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[b>>4], hexDigits[b&0x0f]
		j += 2
	}
}

// checkNames checks site_id and the other ids, then the event name
// (defaulted first).
func (v *Validator) checkNames(ev *eventv1.Event) error {
	if ev.Name == "" {
		ev.Name = DefaultEventName
	}
	if err := v.check.IDs(ev); err != nil {
		return err
	}
	if err := v.check.Name(ev); err != nil {
		return err
	}
	if v.stores != nil {
		return v.stores.Name(ev)
	}
	return nil
}

// normaliseTime sets received_at and defaults, clamps or rejects
// occurred_at. A client-made UUIDv7 carries its creation time: using it for
// an event without occurred_at keeps a retried event in the same time
// partition of the stores. It reports whether occurred_at was clamped.
func (v *Validator) normaliseTime(ev *eventv1.Event, receivedAt time.Time, clientID uuid.UUID) (bool, error) {
	ev.ReceivedAt = timestamppb.New(receivedAt)
	source := "occurred_at"
	if ev.OccurredAt == nil {
		ev.OccurredAt = timestamppb.New(receivedAt)
		if t, ok := timeOfV7(clientID); ok {
			ev.OccurredAt = timestamppb.New(t)
			source = "occurred_at (taken from the UUIDv7 event_id)"
		}
	}
	if err := ev.OccurredAt.CheckValid(); err != nil {
		return false, &eventcheck.FieldError{Field: "occurred_at", Kind: eventcheck.ErrInvalidFormat,
			Detail: fmt.Sprintf("invalid timestamp: %v", err)}
	}
	clamped := false
	switch occurred := ev.OccurredAt.AsTime(); {
	case occurred.After(receivedAt.Add(v.cfg.AllowedClockSkew)):
		ev.OccurredAt = timestamppb.New(receivedAt)
		clamped = true
	case occurred.Before(receivedAt.Add(-v.cfg.MaxEventAge)):
		return false, &eventcheck.FieldError{Field: "occurred_at", Kind: eventcheck.ErrInvalidFormat,
			Detail: fmt.Sprintf("%s is more than %s before the receive time", source, v.cfg.MaxEventAge)}
	}
	// A long MaxEventAge must still not let a time before 1970 through.
	return clamped, v.check.Times(ev)
}

// preparePage checks the page fields and derives page.path from page.url.
// It returns both URLs parsed (nil when empty).
func (v *Validator) preparePage(ev *eventv1.Event) (pageURL, referrer *url.URL, err error) {
	p := ev.Page
	if p == nil {
		return nil, nil, nil
	}
	if err := v.check.Page(ev); err != nil {
		return nil, nil, err
	}
	if pageURL, err = checkURL("page.url", p.Url); err != nil {
		return nil, nil, err
	}
	if referrer, err = checkURL("page.referrer", p.Referrer); err != nil {
		return nil, nil, err
	}
	if p.Path == "" && pageURL != nil {
		p.Path = pathOf(pageURL)
	}
	return pageURL, referrer, nil
}

// rejection turns a check's error into the client's verdict.
func rejection(err error) *Rejection {
	var fe *eventcheck.FieldError
	if !errors.As(err, &fe) {
		return &Rejection{Reason: collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, Message: err.Error()}
	}
	return &Rejection{Reason: reasonOf(fe.Kind), Field: fe.Field, Message: fe.Detail}
}

func reasonOf(kind error) collectorv1.RejectReason {
	switch kind {
	case eventcheck.ErrRequired:
		return collectorv1.RejectReason_REJECT_REASON_REQUIRED
	case eventcheck.ErrTooLong:
		return collectorv1.RejectReason_REJECT_REASON_TOO_LONG
	case eventcheck.ErrTooLarge:
		return collectorv1.RejectReason_REJECT_REASON_TOO_LARGE
	case eventcheck.ErrTooManyProperties:
		return collectorv1.RejectReason_REJECT_REASON_TOO_MANY_PROPERTIES
	default: // ErrInvalidFormat, ErrTimeRange
		return collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT
	}
}

// checkURL accepts an empty value (nil), a path-only URL, or an absolute
// http(s) URL (its length is eventcheck's Page check), and returns it parsed.
func checkURL(field, value string) (*url.URL, error) {
	if value == "" {
		return nil, nil
	}
	invalid := func(format string, args ...any) error {
		return &eventcheck.FieldError{Field: field, Kind: eventcheck.ErrInvalidFormat, Detail: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(value)
	if err != nil {
		return nil, invalid("not a URL")
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return nil, invalid("scheme %q is not http or https", Truncate(u.Scheme, 20))
	}
	if u.Scheme != "" && u.Host == "" {
		return nil, invalid("absolute URL without a host")
	}
	return u, nil
}

// pathOf returns the path of a URL that checkURL accepted; "/" for a bare
// host. The path is unescaped, so an escape such as %FF is not UTF-8: it
// becomes U+FFFD, as a protobuf string must be valid UTF-8 (the event could
// not be encoded, and the whole call failed).
func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return strings.ToValidUTF8(u.Path, "\uFFFD")
}

// timeOfV7 returns the millisecond timestamp of a UUIDv7 (RFC 9562: the
// first 48 bits).
func timeOfV7(id uuid.UUID) (time.Time, bool) {
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		return time.Time{}, false
	}
	ms := binary.BigEndian.Uint64(id[:8]) >> 16
	return time.UnixMilli(int64(ms)).UTC(), true
}

// Truncate shortens client input for a message (eventcheck.Truncate), for
// other packages that echo it.
func Truncate(s string, n int) string { return eventcheck.Truncate(s, n) }
