package eventcheck

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// The kinds of problem a check reports; a *FieldError wraps one of them.
var (
	ErrRequired          = errors.New("required")
	ErrTooLong           = errors.New("too long")
	ErrTooLarge          = errors.New("too large")
	ErrTooManyProperties = errors.New("too many properties")
	ErrInvalidFormat     = errors.New("invalid format")
	ErrTimeRange         = errors.New("outside the storable time range")
)

// FieldError says which field of an event failed which check.
type FieldError struct {
	// Field is the path of the field, like "page.path"; empty for the whole event.
	Field string
	// Kind is one of the Err* kinds above.
	Kind error
	// Detail is a readable explanation (it never echoes more than 80 bytes of input).
	Detail string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Detail
	}
	return e.Field + ": " + e.Detail
}

func (e *FieldError) Unwrap() error { return e.Kind }

func fieldErr(field string, kind error, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Checker checks events against one set of Limits. It is safe for concurrent use.
type Checker struct {
	limits Limits
	// name reports whether an event name matches NamePattern: the compiled
	// pattern, or isSnakeName for the default one (the regular expression
	// was 7% of the collector's CPU per event).
	name func(string) bool
}

// New builds a Checker; limits must pass Validate.
func New(limits Limits) (*Checker, error) {
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(limits.NamePattern)
	if err != nil {
		return nil, fmt.Errorf("compile name pattern: %w", err)
	}
	if limits.NamePattern == defaultNamePattern {
		return &Checker{limits: limits, name: isSnakeName}, nil
	}
	return &Checker{limits: limits, name: re.MatchString}, nil
}

// isSnakeName matches what defaultNamePattern matches: a lower-case letter,
// then at most 63 lower-case letters, digits and underscores.
func isSnakeName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Limits returns the checker's limits.
func (c *Checker) Limits() Limits { return c.limits }

// Storable reports the first reason a store cannot hold ev, or nil. The
// writers call it on every message (after dropping client.ip unless it is
// kept); the order of the checks is fixed, so both writers report the same
// reason for the same message.
func (c *Checker) Storable(ev *eventv1.Event) error {
	return c.StorableEncoded(ev, proto.Size(ev))
}

// StorableEncoded is Storable for an event decoded from size bytes (a Kafka
// message value): the size is not computed again (it was a third of
// Storable's time).
func (c *Checker) StorableEncoded(ev *eventv1.Event, size int) error {
	if _, err := ParseEventID(ev.GetEventId()); err != nil {
		return err
	}
	if limit := c.limits.MaxStoredEventBytes(); size > limit {
		return fieldErr("", ErrTooLarge, "encoded event is %d bytes, more than the limit of %d", size, limit)
	}
	for _, check := range []func(*eventv1.Event) error{
		c.IDs, c.Name, c.Times, c.Page, c.HTTP, c.Client, c.UTM, c.Properties, c.Enrichment,
	} {
		if err := check(ev); err != nil {
			return err
		}
	}
	return nil
}

// ReceivedSize checks the encoded size of an event as a client sent it.
func (c *Checker) ReceivedSize(ev *eventv1.Event) error {
	return c.ReceivedBytes(proto.Size(ev))
}

// ReceivedBytes is ReceivedSize for a caller that knows the encoded size.
func (c *Checker) ReceivedBytes(size int) error {
	if size > c.limits.MaxEventBytes {
		return fieldErr("", ErrTooLarge, "encoded event is %d bytes, more than the limit of %d", size, c.limits.MaxEventBytes)
	}
	return nil
}

// IDs checks that site_id is present and that every id fits MaxIDLength.
func (c *Checker) IDs(ev *eventv1.Event) error {
	if ev.GetSiteId() == "" {
		return fieldErr("site_id", ErrRequired, "site_id is required")
	}
	return c.maxLens(c.limits.MaxIDLength,
		"site_id", ev.GetSiteId(), "visitor_id", ev.GetVisitorId(),
		"user_id", ev.GetUserId(), "session_id", ev.GetSessionId())
}

// Name checks that the event name is present and matches NamePattern.
func (c *Checker) Name(ev *eventv1.Event) error {
	if ev.GetName() == "" {
		return fieldErr("name", ErrRequired, "name is required")
	}
	if !c.name(ev.GetName()) {
		return fieldErr("name", ErrInvalidFormat, "event name %q does not match %s", Truncate(ev.GetName(), 80), c.limits.NamePattern)
	}
	return nil
}

// Times checks occurred_at and received_at with Time.
func (c *Checker) Times(ev *eventv1.Event) error {
	if err := Time("occurred_at", ev.GetOccurredAt()); err != nil {
		return err
	}
	return Time("received_at", ev.GetReceivedAt())
}

// Time checks that ts is present, valid and within MinTime..MaxTime.
func Time(field string, ts *timestamppb.Timestamp) error {
	if ts == nil {
		return fieldErr(field, ErrRequired, "%s is required", field)
	}
	if err := ts.CheckValid(); err != nil {
		return fieldErr(field, ErrInvalidFormat, "invalid timestamp: %v", err)
	}
	if t := ts.AsTime(); t.Before(MinTime) || !t.Before(MaxTime) {
		return fieldErr(field, ErrTimeRange, "%s is outside %s..%s", t.Format("2006-01-02T15:04:05Z07:00"),
			MinTime.Format("2006-01-02"), MaxTime.Format("2006-01-02"))
	}
	return nil
}

// Page checks the lengths of the page fields (the collector also checks the
// URLs' syntax; the stores need only the bounds).
func (c *Checker) Page(ev *eventv1.Event) error {
	p := ev.GetPage()
	if err := c.maxLens(c.limits.MaxURLLength,
		"page.url", p.GetUrl(), "page.path", p.GetPath(), "page.referrer", p.GetReferrer()); err != nil {
		return err
	}
	return c.maxLens(c.limits.MaxStringLength, "page.title", p.GetTitle())
}

// HTTP checks that http_method is a method token and http_status a status code.
func (c *Checker) HTTP(ev *eventv1.Event) error {
	if m := ev.GetHttpMethod(); m != "" && (len(m) > 32 || !isToken(m)) {
		return fieldErr("http_method", ErrInvalidFormat, "%q is not an HTTP method token", Truncate(m, 40))
	}
	if s := ev.GetHttpStatus(); s != 0 && (s < 100 || s > 599) {
		return fieldErr("http_status", ErrInvalidFormat, "%d is not an HTTP status code (100-599, or 0 when unknown)", s)
	}
	return nil
}

// Client checks the lengths of the client context and that client.ip, when
// set, is an IP address.
func (c *Checker) Client(ev *eventv1.Event) error {
	cl := ev.GetClient()
	if err := c.maxLens(c.limits.MaxStringLength,
		"client.user_agent", cl.GetUserAgent(), "client.locale", cl.GetLocale(), "client.time_zone", cl.GetTimeZone()); err != nil {
		return err
	}
	if ip := cl.GetIp(); ip != "" {
		if _, err := netip.ParseAddr(ip); err != nil {
			return fieldErr("client.ip", ErrInvalidFormat, "not an IP address")
		}
	}
	return nil
}

// UTM checks the lengths of the UTM fields.
func (c *Checker) UTM(ev *eventv1.Event) error {
	u := ev.GetUtm()
	return c.maxLens(c.limits.MaxStringLength,
		"utm.source", u.GetSource(), "utm.medium", u.GetMedium(), "utm.campaign", u.GetCampaign(),
		"utm.term", u.GetTerm(), "utm.content", u.GetContent())
}

// Properties checks the number of properties and each key and value. When
// several fail, the first in sorted key order is reported, so the same event
// always gets the same reason (map order is random).
func (c *Checker) Properties(ev *eventv1.Event) error {
	props := ev.GetProperties()
	if len(props) > c.limits.MaxProperties {
		return fieldErr("properties", ErrTooManyProperties, "%d properties, more than the limit of %d", len(props), c.limits.MaxProperties)
	}
	var failing []string // sorted only when something fails: the common case allocates nothing
	for k, v := range props {
		if c.property(k, v) != nil {
			failing = append(failing, k)
		}
	}
	if len(failing) == 0 {
		return nil
	}
	slices.Sort(failing)
	return c.property(failing[0], props[failing[0]])
}

// property checks one property key and value.
func (c *Checker) property(k, v string) error {
	field := func() string { return "properties[" + strconv.Quote(Truncate(k, 80)) + "]" }
	switch {
	case k == "":
		return fieldErr(field(), ErrRequired, "property key is empty")
	case len(k) > c.limits.MaxPropertyKeyLength:
		return fieldErr(field(), ErrTooLong, "property key is %d bytes, more than the limit of %d", len(k), c.limits.MaxPropertyKeyLength)
	case len(v) > c.limits.MaxPropertyValueLength:
		return fieldErr(field(), ErrTooLong, "property value is %d bytes, more than the limit of %d", len(v), c.limits.MaxPropertyValueLength)
	}
	return nil
}

// Enrichment checks the lengths of the collector-derived strings, which a
// producer writing straight to Kafka could set to anything.
func (c *Checker) Enrichment(ev *eventv1.Event) error {
	en := ev.GetEnrichment()
	if err := c.maxLens(c.limits.MaxStringLength,
		"enrichment.browser", en.GetBrowser(), "enrichment.browser_version", en.GetBrowserVersion(),
		"enrichment.os", en.GetOs(), "enrichment.os_version", en.GetOsVersion()); err != nil {
		return err
	}
	return c.maxLens(c.limits.MaxURLLength, "enrichment.referrer_host", en.GetReferrerHost())
}

// maxLens checks (field, value) pairs against one limit, in order.
func (c *Checker) maxLens(limit int, fieldValues ...string) error {
	for i := 0; i+1 < len(fieldValues); i += 2 {
		if n := len(fieldValues[i+1]); n > limit {
			return fieldErr(fieldValues[i], ErrTooLong, "%d bytes, more than the limit of %d", n, limit)
		}
	}
	return nil
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

// Truncate shortens s to at most n bytes for a message, on a rune boundary
// and as valid UTF-8 (a gRPC response or a Kafka header with invalid UTF-8
// cannot be read back reliably).
func Truncate(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
