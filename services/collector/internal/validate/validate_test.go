package validate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
)

var received = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newValidator(t *testing.T, mutate func(*Config)) *Validator {
	t.Helper()
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// valid returns an event that passes with the default config; cases change one thing.
func valid() *eventv1.Event {
	return &eventv1.Event{
		EventId:    "0190b4c2-7f1a-4000-8000-000000000001",
		SiteId:     "site",
		Name:       "page_view",
		VisitorId:  "v",
		Page:       &eventv1.Page{Url: "https://example.com/a?b=c", Referrer: "https://ref.example/"},
		HttpMethod: "GET",
		HttpStatus: 200,
		Client:     &eventv1.ClientContext{UserAgent: "ua", Ip: "192.0.2.1", Locale: "en"},
		Utm:        &eventv1.Utm{Source: "s"},
		Properties: map[string]string{"k": "v"},
	}
}

func TestPrepareRejects(t *testing.T) {
	const (
		required  = collectorv1.RejectReason_REJECT_REASON_REQUIRED
		format    = collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT
		tooLong   = collectorv1.RejectReason_REJECT_REASON_TOO_LONG
		tooMany   = collectorv1.RejectReason_REJECT_REASON_TOO_MANY_PROPERTIES
		tooLarge  = collectorv1.RejectReason_REJECT_REASON_TOO_LARGE
		shortLong = 20 // MaxIDLength/MaxStringLength/... in these cases
	)
	long := strings.Repeat("x", shortLong+1)
	limits := func(c *Config) {
		c.MaxIDLength, c.MaxStringLength, c.MaxURLLength = shortLong, shortLong, 40
		c.MaxPropertyKeyLength, c.MaxPropertyValueLength, c.MaxProperties = 5, 5, 2
		c.MaxEventBytes = 400
	}
	cases := []struct {
		name   string
		change func(*eventv1.Event)
		reason collectorv1.RejectReason
		field  string
	}{
		{"event id not a uuid", func(e *eventv1.Event) { e.EventId = "abc" }, format, "event_id"},
		{"event id urn form", func(e *eventv1.Event) { e.EventId = "urn:uuid:" + uuid.NewString() }, format, "event_id"},
		{"event id braces", func(e *eventv1.Event) { e.EventId = "{" + uuid.NewString()[:34] + "}" }, format, "event_id"},
		{"event id nil uuid", func(e *eventv1.Event) { e.EventId = uuid.Nil.String() }, format, "event_id"},
		{"event id max uuid", func(e *eventv1.Event) { e.EventId = uuid.Max.String() }, format, "event_id"},
		{"event id max uuid upper case", func(e *eventv1.Event) { e.EventId = strings.ToUpper(uuid.Max.String()) }, format, "event_id"},
		{"site missing", func(e *eventv1.Event) { e.SiteId = "" }, required, "site_id"},
		{"site too long", func(e *eventv1.Event) { e.SiteId = long }, tooLong, "site_id"},
		{"name upper case", func(e *eventv1.Event) { e.Name = "PageView" }, format, "name"},
		{"name with space", func(e *eventv1.Event) { e.Name = "page view" }, format, "name"},
		{"name starts with digit", func(e *eventv1.Event) { e.Name = "1st" }, format, "name"},
		{"name 65 chars", func(e *eventv1.Event) { e.Name = "a" + strings.Repeat("b", 64) }, format, "name"},
		{"visitor too long", func(e *eventv1.Event) { e.VisitorId = long }, tooLong, "visitor_id"},
		{"user too long", func(e *eventv1.Event) { e.UserId = long }, tooLong, "user_id"},
		{"session too long", func(e *eventv1.Event) { e.SessionId = long }, tooLong, "session_id"},
		{"occurred invalid", func(e *eventv1.Event) { e.OccurredAt = &timestamppb.Timestamp{Nanos: -1} }, format, "occurred_at"},
		{"occurred too old", func(e *eventv1.Event) { e.OccurredAt = timestamppb.New(received.AddDate(0, 0, -31)) }, format, "occurred_at"},
		{"url too long", func(e *eventv1.Event) { e.Page.Url = "https://example.com/" + long + long }, tooLong, "page.url"},
		{"url bad scheme", func(e *eventv1.Event) { e.Page.Url = "javascript:alert(1)" }, format, "page.url"},
		{"url unparsable", func(e *eventv1.Event) { e.Page.Url = "http://[::1" }, format, "page.url"},
		{"url without host", func(e *eventv1.Event) { e.Page.Url = "https:///x" }, format, "page.url"},
		{"path too long", func(e *eventv1.Event) { e.Page.Path = "/" + long + long }, tooLong, "page.path"},
		{"title too long", func(e *eventv1.Event) { e.Page.Title = long }, tooLong, "page.title"},
		{"referrer bad scheme", func(e *eventv1.Event) { e.Page.Referrer = "ftp://x.example/" }, format, "page.referrer"},
		{"method with space", func(e *eventv1.Event) { e.HttpMethod = "GE T" }, format, "http_method"},
		{"method with slash", func(e *eventv1.Event) { e.HttpMethod = "GET/" }, format, "http_method"},
		{"status out of range", func(e *eventv1.Event) { e.HttpStatus = 600 }, format, "http_status"},
		{"status too small", func(e *eventv1.Event) { e.HttpStatus = 99 }, format, "http_status"},
		{"user agent too long", func(e *eventv1.Event) { e.Client.UserAgent = long }, tooLong, "client.user_agent"},
		{"locale too long", func(e *eventv1.Event) { e.Client.Locale = long }, tooLong, "client.locale"},
		{"time zone too long", func(e *eventv1.Event) { e.Client.TimeZone = long }, tooLong, "client.time_zone"},
		{"ip invalid", func(e *eventv1.Event) { e.Client.Ip = "300.1.1.1" }, format, "client.ip"},
		{"utm source too long", func(e *eventv1.Event) { e.Utm.Source = long }, tooLong, "utm.source"},
		{"utm medium too long", func(e *eventv1.Event) { e.Utm.Medium = long }, tooLong, "utm.medium"},
		{"utm campaign too long", func(e *eventv1.Event) { e.Utm.Campaign = long }, tooLong, "utm.campaign"},
		{"utm term too long", func(e *eventv1.Event) { e.Utm.Term = long }, tooLong, "utm.term"},
		{"utm content too long", func(e *eventv1.Event) { e.Utm.Content = long }, tooLong, "utm.content"},
		{"too many properties", func(e *eventv1.Event) { e.Properties = map[string]string{"a": "", "b": "", "c": ""} }, tooMany, "properties"},
		{"empty property key", func(e *eventv1.Event) { e.Properties = map[string]string{"": "x"} }, required, `properties[""]`},
		{"property key too long", func(e *eventv1.Event) { e.Properties = map[string]string{"abcdef": "x"} }, tooLong, `properties["abcdef"]`},
		{"property value too long", func(e *eventv1.Event) { e.Properties = map[string]string{"k": "123456"} }, tooLong, `properties["k"]`},
		{"event too large", func(e *eventv1.Event) { e.Page.Title = strings.Repeat("t", 500) }, tooLarge, ""},
	}
	v := newValidator(t, limits)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := valid()
			tc.change(ev)
			_, rej := v.Prepare(ev, received)
			if rej == nil {
				t.Fatalf("accepted, want %v on %q", tc.reason, tc.field)
			}
			if rej.Reason != tc.reason || rej.Field != tc.field {
				t.Fatalf("got %v on %q (%s), want %v on %q", rej.Reason, rej.Field, rej.Message, tc.reason, tc.field)
			}
			if rej.Message == "" {
				t.Fatal("no message")
			}
		})
	}
}

func TestPrepareNormalises(t *testing.T) {
	v := newValidator(t, nil)

	t.Run("accepts the valid event unchanged but for received_at and occurred_at", func(t *testing.T) {
		ev := valid()
		out, rej := v.Prepare(ev, received)
		if rej != nil {
			t.Fatal(rej)
		}
		if out.ClockClamped || out.EventIDAssigned {
			t.Fatalf("outcome %+v", out)
		}
		if !ev.ReceivedAt.AsTime().Equal(received) || !ev.OccurredAt.AsTime().Equal(received) {
			t.Fatalf("times %v %v", ev.ReceivedAt.AsTime(), ev.OccurredAt.AsTime())
		}
		if ev.Page.Path != "/a" {
			t.Fatalf("path %q", ev.Page.Path)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		ev := &eventv1.Event{SiteId: "s", HttpMethod: "patch", Page: &eventv1.Page{Url: "https://example.com"}}
		out, rej := v.Prepare(ev, received)
		if rej != nil {
			t.Fatal(rej)
		}
		id, err := uuid.Parse(ev.EventId)
		if err != nil || id.Version() != 7 || !out.EventIDAssigned {
			t.Fatalf("event id %q (%v), outcome %+v", ev.EventId, err, out)
		}
		if ev.Name != DefaultEventName || ev.HttpMethod != "PATCH" || ev.Page.Path != "/" {
			t.Fatalf("name %q method %q path %q", ev.Name, ev.HttpMethod, ev.Page.Path)
		}
	})
	t.Run("event id made canonical", func(t *testing.T) {
		ev := valid()
		ev.EventId = strings.ToUpper(ev.EventId)
		if _, rej := v.Prepare(ev, received); rej != nil {
			t.Fatal(rej)
		}
		if ev.EventId != strings.ToLower(ev.EventId) {
			t.Fatalf("id %q", ev.EventId)
		}
	})
	t.Run("future clamped within skew kept", func(t *testing.T) {
		ev := valid()
		ev.OccurredAt = timestamppb.New(received.Add(30 * time.Second))
		out, rej := v.Prepare(ev, received)
		if rej != nil || out.ClockClamped || !ev.OccurredAt.AsTime().Equal(received.Add(30*time.Second)) {
			t.Fatalf("within skew: %v %+v %v", rej, out, ev.OccurredAt.AsTime())
		}
		ev = valid()
		ev.OccurredAt = timestamppb.New(received.Add(2 * time.Minute))
		out, rej = v.Prepare(ev, received)
		if rej != nil || !out.ClockClamped || !ev.OccurredAt.AsTime().Equal(received) {
			t.Fatalf("beyond skew: %v %+v %v", rej, out, ev.OccurredAt.AsTime())
		}
	})
	t.Run("occurred_at from a client UUIDv7", func(t *testing.T) {
		created := received.Add(-3 * time.Second).Truncate(time.Millisecond)
		id := uuidV7At(t, created)
		for range 2 { // a retry keeps the same occurred_at
			ev := &eventv1.Event{EventId: id, SiteId: "s"}
			if _, rej := v.Prepare(ev, received.Add(time.Second)); rej != nil {
				t.Fatal(rej)
			}
			if !ev.OccurredAt.AsTime().Equal(created) {
				t.Fatalf("occurred_at %v, want %v", ev.OccurredAt.AsTime(), created)
			}
		}
		// A v4 id gives received_at.
		ev := &eventv1.Event{EventId: uuid.NewString(), SiteId: "s"}
		if _, rej := v.Prepare(ev, received); rej != nil || !ev.OccurredAt.AsTime().Equal(received) {
			t.Fatalf("v4: %v %v", rej, ev.OccurredAt.AsTime())
		}
	})
	t.Run("custom name pattern", func(t *testing.T) {
		v := newValidator(t, func(c *Config) { c.NamePattern = `^(click|view)_[a-z]+$` })
		ev := valid()
		ev.Name = "click_buy"
		if _, rej := v.Prepare(ev, received); rej != nil {
			t.Fatal(rej)
		}
		ev = valid() // page_view: the stores' pattern admits it, the custom one does not
		if _, rej := v.Prepare(ev, received); rej == nil || rej.Field != "name" {
			t.Fatalf("page_view: %v", rej)
		}
	})
	t.Run("custom name pattern looser than the stores'", func(t *testing.T) {
		// The writers would dead-letter CLICK: the collector refuses it.
		v := newValidator(t, func(c *Config) { c.NamePattern = `^[A-Za-z]+$` })
		ev := valid()
		ev.Name = "CLICK"
		if _, rej := v.Prepare(ev, received); rej == nil || rej.Field != "name" ||
			rej.Reason != collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT {
			t.Fatalf("CLICK: %v", rej)
		}
	})
	t.Run("occurred before 1970 with a long max age", func(t *testing.T) {
		v := newValidator(t, func(c *Config) { c.MaxEventAge = 100 * 365 * 24 * time.Hour })
		ev := valid()
		ev.OccurredAt = timestamppb.New(time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC))
		if _, rej := v.Prepare(ev, received); rej == nil || rej.Field != "occurred_at" ||
			rej.Reason != collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT {
			t.Fatalf("1969: %v", rej)
		}
	})
}

// uuidV7At makes a UUIDv7 whose timestamp is at (millisecond precision).
func uuidV7At(t *testing.T, at time.Time) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (8 * (5 - i)))
	}
	return id.String()
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := Config{Limits: eventcheck.Limits{NamePattern: "("}, AllowedClockSkew: -1}
	err := bad.Validate()
	for _, want := range []error{ErrMaxEventsPerBatch, eventcheck.ErrMaxEventBytes, eventcheck.ErrMaxLengths,
		eventcheck.ErrNamePattern, ErrClockSkew, ErrMaxAge} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
	if errors.Is(err, eventcheck.ErrMaxProperties) {
		t.Errorf("0 properties is a valid limit: %v", err)
	}
	// Limits may be lowered, not raised above what the writers accept.
	above := DefaultConfig()
	above.MaxURLLength++
	if err := above.Validate(); !errors.Is(err, eventcheck.ErrAboveStoreLimit) {
		t.Errorf("url limit above the stores': %v", err)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 10) // 2 bytes each
	got := Truncate(s, 5)
	if got != "éé..." {
		t.Fatalf("got %q", got)
	}
	if got := Truncate("a\xffb", 10); got != "a\uFFFDb" {
		t.Fatalf("invalid utf8: %q", got)
	}
}
