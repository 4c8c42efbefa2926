// Package validate normalises and checks one event against the collector's
// limits. It never fails a whole call: each event gets its own verdict, with
// the offending field as a path, a reason class and a readable message.
package validate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// DefaultEventName is the name of an event that names none.
const DefaultEventName = "page_view"

// Named configuration errors, joined by Config.Validate.
var (
	ErrMaxEventsPerBatch = errors.New("validate: max events per batch must be at least 1")
	ErrMaxEventBytes     = errors.New("validate: max event bytes must be at least 256")
	ErrMaxProperties     = errors.New("validate: max properties must not be negative")
	ErrMaxLengths        = errors.New("validate: every max length must be at least 1")
	ErrNamePattern       = errors.New("validate: event name pattern does not compile")
	ErrClockSkew         = errors.New("validate: allowed clock skew must not be negative")
	ErrMaxAge            = errors.New("validate: max event age must be positive")
)

// Config holds the limits events are checked against.
type Config struct {
	// MaxEventsPerBatch is the most events one Ingest call (or one stream
	// message) may carry; more fails the whole call with InvalidArgument.
	MaxEventsPerBatch int
	// MaxEventBytes is the largest protobuf-encoded event accepted, as received.
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
	// user agent, locale, time zone), in bytes.
	MaxStringLength int
	// NamePattern is the regular expression every event name must match.
	NamePattern string
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
		MaxEventsPerBatch:      1000,
		MaxEventBytes:          32 << 10,
		MaxProperties:          50,
		MaxPropertyKeyLength:   64,
		MaxPropertyValueLength: 1024,
		MaxIDLength:            128,
		MaxURLLength:           2048,
		MaxStringLength:        1024,
		NamePattern:            `^[a-z][a-z0-9_]{0,63}$`,
		AllowedClockSkew:       time.Minute,
		MaxEventAge:            30 * 24 * time.Hour,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if c.MaxEventsPerBatch < 1 {
		errs = append(errs, ErrMaxEventsPerBatch)
	}
	if c.MaxEventBytes < 256 {
		errs = append(errs, ErrMaxEventBytes)
	}
	if c.MaxProperties < 0 {
		errs = append(errs, ErrMaxProperties)
	}
	if c.MaxPropertyKeyLength < 1 || c.MaxPropertyValueLength < 1 || c.MaxIDLength < 1 ||
		c.MaxURLLength < 1 || c.MaxStringLength < 1 {
		errs = append(errs, ErrMaxLengths)
	}
	if _, err := regexp.Compile(c.NamePattern); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrNamePattern, err))
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
	cfg  Config
	name *regexp.Regexp
}

// New builds a Validator; cfg must have passed Validate.
func New(cfg Config) (*Validator, error) {
	re, err := regexp.Compile(cfg.NamePattern)
	if err != nil {
		return nil, fmt.Errorf("compile name pattern: %w", err)
	}
	return &Validator{cfg: cfg, name: re}, nil
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
}

// Prepare checks ev and, when it is acceptable, normalises it in place:
// canonical event_id (a new UUIDv7 when empty), default name, received_at,
// occurred_at (defaulted, or clamped when too far in the future), page.path
// from page.url, upper-case http_method. A rejected event is left in an
// unspecified state.
func (v *Validator) Prepare(ev *eventv1.Event, receivedAt time.Time) (Outcome, *Rejection) {
	var out Outcome
	if size := proto.Size(ev); size > v.cfg.MaxEventBytes {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_TOO_LARGE, "",
			"encoded event is %d bytes, more than the limit of %d", size, v.cfg.MaxEventBytes)
	}

	// Identity.
	var clientUUID uuid.UUID
	if ev.EventId == "" {
		id, err := uuid.NewV7()
		if err != nil {
			// The system's random source failed; v4 uses the same source, so
			// there is no better fallback than rejecting the event.
			return out, reject(collectorv1.RejectReason_REJECT_REASON_REQUIRED, "event_id", "could not assign an id: %v", err)
		}
		ev.EventId = id.String()
		out.EventIDAssigned = true
	} else {
		id, err := parseCanonicalUUID(ev.EventId)
		if err != nil {
			return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "event_id", "%v", err)
		}
		ev.EventId = id.String()
		clientUUID = id
	}
	if ev.SiteId == "" {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_REQUIRED, "site_id", "site_id is required")
	}
	if r := v.maxLen("site_id", ev.SiteId, v.cfg.MaxIDLength); r != nil {
		return out, r
	}
	if ev.Name == "" {
		ev.Name = DefaultEventName
	}
	if !v.name.MatchString(ev.Name) {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "name",
			"event name %q does not match %s", truncate(ev.Name, 80), v.cfg.NamePattern)
	}
	for _, f := range []struct{ field, value string }{
		{"visitor_id", ev.VisitorId}, {"user_id", ev.UserId}, {"session_id", ev.SessionId},
	} {
		if r := v.maxLen(f.field, f.value, v.cfg.MaxIDLength); r != nil {
			return out, r
		}
	}

	// Time. A client-made UUIDv7 carries its creation time: using it for an
	// event without occurred_at keeps a retried event in the same time
	// partition of the stores, which dedup on event_id within it.
	ev.ReceivedAt = timestamppb.New(receivedAt)
	occurredSource := "occurred_at"
	if ev.OccurredAt == nil {
		ev.OccurredAt = timestamppb.New(receivedAt)
		if t, ok := timeOfV7(clientUUID); ok {
			ev.OccurredAt = timestamppb.New(t)
			occurredSource = "occurred_at (taken from the UUIDv7 event_id)"
		}
	}
	if err := ev.OccurredAt.CheckValid(); err != nil {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "occurred_at", "invalid timestamp: %v", err)
	}
	occurred := ev.OccurredAt.AsTime()
	switch {
	case occurred.After(receivedAt.Add(v.cfg.AllowedClockSkew)):
		ev.OccurredAt = timestamppb.New(receivedAt)
		out.ClockClamped = true
	case occurred.Before(receivedAt.Add(-v.cfg.MaxEventAge)):
		return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "occurred_at",
			"%s is more than %s before the receive time", occurredSource, v.cfg.MaxEventAge)
	}

	// Page.
	if p := ev.Page; p != nil {
		if r := v.checkURL("page.url", p.Url); r != nil {
			return out, r
		}
		if r := v.maxLen("page.path", p.Path, v.cfg.MaxURLLength); r != nil {
			return out, r
		}
		if p.Path == "" && p.Url != "" {
			p.Path = pathOf(p.Url)
		}
		if r := v.maxLen("page.title", p.Title, v.cfg.MaxStringLength); r != nil {
			return out, r
		}
		if r := v.checkURL("page.referrer", p.Referrer); r != nil {
			return out, r
		}
	}
	if ev.HttpMethod != "" {
		ev.HttpMethod = strings.ToUpper(ev.HttpMethod)
		if len(ev.HttpMethod) > 32 || !isToken(ev.HttpMethod) {
			return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "http_method",
				"%q is not an HTTP method token", truncate(ev.HttpMethod, 40))
		}
	}
	if ev.HttpStatus != 0 && (ev.HttpStatus < 100 || ev.HttpStatus > 599) {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "http_status",
			"%d is not an HTTP status code (100-599, or 0 when unknown)", ev.HttpStatus)
	}

	// Client context.
	if c := ev.Client; c != nil {
		for _, f := range []struct{ field, value string }{
			{"client.user_agent", c.UserAgent}, {"client.locale", c.Locale}, {"client.time_zone", c.TimeZone},
		} {
			if r := v.maxLen(f.field, f.value, v.cfg.MaxStringLength); r != nil {
				return out, r
			}
		}
		if c.Ip != "" {
			if _, err := netip.ParseAddr(c.Ip); err != nil {
				return out, reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "client.ip", "not an IP address")
			}
		}
	}
	if u := ev.Utm; u != nil {
		for _, f := range []struct{ field, value string }{
			{"utm.source", u.Source}, {"utm.medium", u.Medium}, {"utm.campaign", u.Campaign},
			{"utm.term", u.Term}, {"utm.content", u.Content},
		} {
			if r := v.maxLen(f.field, f.value, v.cfg.MaxStringLength); r != nil {
				return out, r
			}
		}
	}

	// Properties.
	if len(ev.Properties) > v.cfg.MaxProperties {
		return out, reject(collectorv1.RejectReason_REJECT_REASON_TOO_MANY_PROPERTIES, "properties",
			"%d properties, more than the limit of %d", len(ev.Properties), v.cfg.MaxProperties)
	}
	// Sorted so that the same event always reports the same first problem.
	keys := make([]string, 0, len(ev.Properties))
	for k := range ev.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := "properties[" + strconv.Quote(truncate(k, 80)) + "]"
		if k == "" {
			return out, reject(collectorv1.RejectReason_REJECT_REASON_REQUIRED, field, "property key is empty")
		}
		if len(k) > v.cfg.MaxPropertyKeyLength {
			return out, reject(collectorv1.RejectReason_REJECT_REASON_TOO_LONG, field,
				"property key is %d bytes, more than the limit of %d", len(k), v.cfg.MaxPropertyKeyLength)
		}
		if n := len(ev.Properties[k]); n > v.cfg.MaxPropertyValueLength {
			return out, reject(collectorv1.RejectReason_REJECT_REASON_TOO_LONG, field,
				"property value is %d bytes, more than the limit of %d", n, v.cfg.MaxPropertyValueLength)
		}
	}
	return out, nil
}

func reject(reason collectorv1.RejectReason, field, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Field: field, Message: fmt.Sprintf(format, args...)}
}

func (v *Validator) maxLen(field, value string, limit int) *Rejection {
	if len(value) > limit {
		return reject(collectorv1.RejectReason_REJECT_REASON_TOO_LONG, field,
			"%d bytes, more than the limit of %d", len(value), limit)
	}
	return nil
}

// checkURL accepts an empty value, a path-only URL, or an absolute http(s) URL.
func (v *Validator) checkURL(field, value string) *Rejection {
	if value == "" {
		return nil
	}
	if r := v.maxLen(field, value, v.cfg.MaxURLLength); r != nil {
		return r
	}
	u, err := url.Parse(value)
	if err != nil {
		return reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, field, "not a URL")
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, field, "scheme %q is not http or https", truncate(u.Scheme, 20))
	}
	if u.Scheme != "" && u.Host == "" {
		return reject(collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, field, "absolute URL without a host")
	}
	return nil
}

// pathOf returns the path of a URL that checkURL accepted; "/" for a bare host.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// parseCanonicalUUID accepts only the 36-character textual form, in either case.
func parseCanonicalUUID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.UUID{}, errors.New("event_id must be a UUID in canonical form (8-4-4-4-12 hex digits)")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, errors.New("event_id must be a UUID in canonical form (8-4-4-4-12 hex digits)")
	}
	return id, nil
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

// isToken reports whether s is an RFC 9110 token (the syntax of a method).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// truncate shortens s to at most n bytes for a message, on a rune boundary
// and as valid UTF-8 (a response with invalid UTF-8 cannot be encoded).
func truncate(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Truncate is truncate for other packages that echo client input.
func Truncate(s string, n int) string { return truncate(s, n) }
