package eventcheck

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// stored returns an event as the collector writes it to Kafka; cases change one thing.
func stored() *eventv1.Event {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	return &eventv1.Event{
		EventId: "0190b4c2-7f1a-7000-8000-000000000001", SiteId: "site", Name: "page_view", VisitorId: "v",
		OccurredAt: timestamppb.New(now.Add(-time.Second)), ReceivedAt: timestamppb.New(now),
		Page:       &eventv1.Page{Url: "https://example.com/a", Path: "/a", Title: "A", Referrer: "https://ref.example/"},
		HttpMethod: "GET", HttpStatus: 200,
		Client:     &eventv1.ClientContext{UserAgent: "ua", Locale: "en", Ip: "192.0.2.1"},
		Utm:        &eventv1.Utm{Source: "s"},
		Properties: map[string]string{"k": "v"},
		Enrichment: &eventv1.Enrichment{Browser: "Chrome", ReferrerHost: "ref.example"},
	}
}

func newChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := New(DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStorableAcceptsACollectorEvent(t *testing.T) {
	if err := newChecker(t).Storable(stored()); err != nil {
		t.Fatal(err)
	}
}

func TestStorableRejects(t *testing.T) {
	d := DefaultLimits()
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name   string
		change func(*eventv1.Event)
		kind   error
		field  string
	}{
		{"event id missing", func(e *eventv1.Event) { e.EventId = "" }, ErrInvalidFormat, "event_id"},
		{"event id not a uuid", func(e *eventv1.Event) { e.EventId = "not-a-uuid-not-a-uuid-not-a-uuid-xxxx" }, ErrInvalidFormat, "event_id"},
		{"event id without dashes", func(e *eventv1.Event) { e.EventId = "0190b4c27f1a70008000000000000001" }, ErrInvalidFormat, "event_id"},
		{"event id nil uuid", func(e *eventv1.Event) { e.EventId = "00000000-0000-0000-0000-000000000000" }, ErrInvalidFormat, "event_id"},
		{"event id max uuid", func(e *eventv1.Event) { e.EventId = "ffffffff-ffff-ffff-ffff-ffffffffffff" }, ErrInvalidFormat, "event_id"},
		{"event id max uuid upper case", func(e *eventv1.Event) { e.EventId = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" }, ErrInvalidFormat, "event_id"},
		{"site missing", func(e *eventv1.Event) { e.SiteId = "" }, ErrRequired, "site_id"},
		{"site too long", func(e *eventv1.Event) { e.SiteId = long(d.MaxIDLength + 1) }, ErrTooLong, "site_id"},
		{"visitor too long", func(e *eventv1.Event) { e.VisitorId = long(d.MaxIDLength + 1) }, ErrTooLong, "visitor_id"},
		{"user too long", func(e *eventv1.Event) { e.UserId = long(d.MaxIDLength + 1) }, ErrTooLong, "user_id"},
		{"session too long", func(e *eventv1.Event) { e.SessionId = long(d.MaxIDLength + 1) }, ErrTooLong, "session_id"},
		{"name missing", func(e *eventv1.Event) { e.Name = "" }, ErrRequired, "name"},
		{"name of 10000 chars", func(e *eventv1.Event) { e.Name = "a" + strings.Repeat("b", 9999) }, ErrInvalidFormat, "name"},
		{"name upper case", func(e *eventv1.Event) { e.Name = "PageView" }, ErrInvalidFormat, "name"},
		{"occurred missing", func(e *eventv1.Event) { e.OccurredAt = nil }, ErrRequired, "occurred_at"},
		{"occurred invalid", func(e *eventv1.Event) { e.OccurredAt = &timestamppb.Timestamp{Nanos: -1} }, ErrInvalidFormat, "occurred_at"},
		{"occurred before 1970", func(e *eventv1.Event) { e.OccurredAt = timestamppb.New(MinTime.Add(-time.Second)) }, ErrTimeRange, "occurred_at"},
		{"occurred at 2100", func(e *eventv1.Event) { e.OccurredAt = timestamppb.New(MaxTime) }, ErrTimeRange, "occurred_at"},
		{"received missing", func(e *eventv1.Event) { e.ReceivedAt = nil }, ErrRequired, "received_at"},
		{"received before 1970", func(e *eventv1.Event) { e.ReceivedAt = timestamppb.New(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)) }, ErrTimeRange, "received_at"},
		{"path of 9001 bytes", func(e *eventv1.Event) { e.Page.Path = "/" + long(9000) }, ErrTooLong, "page.path"},
		{"url too long", func(e *eventv1.Event) { e.Page.Url = long(d.MaxURLLength + 1) }, ErrTooLong, "page.url"},
		{"referrer too long", func(e *eventv1.Event) { e.Page.Referrer = long(d.MaxURLLength + 1) }, ErrTooLong, "page.referrer"},
		{"title too long", func(e *eventv1.Event) { e.Page.Title = long(d.MaxStringLength + 1) }, ErrTooLong, "page.title"},
		{"method not a token", func(e *eventv1.Event) { e.HttpMethod = "GE T" }, ErrInvalidFormat, "http_method"},
		{"method too long", func(e *eventv1.Event) { e.HttpMethod = long(33) }, ErrInvalidFormat, "http_method"},
		{"status out of range", func(e *eventv1.Event) { e.HttpStatus = 600 }, ErrInvalidFormat, "http_status"},
		{"user agent too long", func(e *eventv1.Event) { e.Client.UserAgent = long(d.MaxStringLength + 1) }, ErrTooLong, "client.user_agent"},
		{"locale too long", func(e *eventv1.Event) { e.Client.Locale = long(d.MaxStringLength + 1) }, ErrTooLong, "client.locale"},
		{"time zone too long", func(e *eventv1.Event) { e.Client.TimeZone = long(d.MaxStringLength + 1) }, ErrTooLong, "client.time_zone"},
		{"ip invalid", func(e *eventv1.Event) { e.Client.Ip = "300.1.1.1" }, ErrInvalidFormat, "client.ip"},
		{"utm source too long", func(e *eventv1.Event) { e.Utm.Source = long(d.MaxStringLength + 1) }, ErrTooLong, "utm.source"},
		{"utm content too long", func(e *eventv1.Event) { e.Utm.Content = long(d.MaxStringLength + 1) }, ErrTooLong, "utm.content"},
		{"too many properties", func(e *eventv1.Event) {
			for i := range d.MaxProperties + 1 {
				e.Properties[strings.Repeat("k", i+1)] = ""
			}
		}, ErrTooManyProperties, "properties"},
		{"empty property key", func(e *eventv1.Event) { e.Properties = map[string]string{"": "x"} }, ErrRequired, `properties[""]`},
		{"property key too long", func(e *eventv1.Event) { e.Properties = map[string]string{long(65): "x"} }, ErrTooLong, `properties["` + long(65) + `"]`},
		{"property value too long", func(e *eventv1.Event) { e.Properties = map[string]string{"k": long(1025)} }, ErrTooLong, `properties["k"]`},
		{"enrichment browser too long", func(e *eventv1.Event) { e.Enrichment.Browser = long(d.MaxStringLength + 1) }, ErrTooLong, "enrichment.browser"},
		{"enrichment referrer host too long", func(e *eventv1.Event) { e.Enrichment.ReferrerHost = long(d.MaxURLLength + 1) }, ErrTooLong, "enrichment.referrer_host"},
		{"event too large", func(e *eventv1.Event) {
			for i := range 45 {
				e.Properties[strings.Repeat("p", i+1)] = long(d.MaxPropertyValueLength)
			}
		}, ErrTooLarge, ""},
	}
	c := newChecker(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := stored()
			tc.change(ev)
			err := c.Storable(ev)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FieldError on %q", err, tc.field)
			}
			if !errors.Is(err, tc.kind) || fe.Field != tc.field {
				t.Fatalf("got %q (field %q), want %v on %q", err, fe.Field, tc.kind, tc.field)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("reason is %d bytes, want a short one: %.100s...", len(err.Error()), err)
			}
		})
	}
}

func TestStorableReasonIsStable(t *testing.T) {
	// Two problems: the same one is reported every time (both writers
	// dead-letter a message with the same reason).
	c := newChecker(t)
	ev := stored()
	ev.Properties = map[string]string{"": "x", strings.Repeat("k", 65): "y"}
	ev.Page.Path = strings.Repeat("p", 9001)
	first := c.Storable(ev).Error()
	for range 20 {
		if got := c.Storable(ev).Error(); got != first {
			t.Fatalf("reason changed: %q then %q", first, got)
		}
	}
	if !strings.HasPrefix(first, "page.path:") {
		t.Fatalf("reason %q, want the page.path check first", first)
	}
}

func TestParseEventID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0190b4c2-7f1a-7000-8000-000000000001", true},
		{"0190B4C2-7F1A-7000-8000-00000000000A", true},
		{"00000000-0000-0000-0000-000000000001", true},
		{"00000000-0000-0000-0000-000000000000", false},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", false},
		{"urn:uuid:0190b4c2-7f1a-7000-8000-000000000001", false},
		{"{0190b4c2-7f1a-7000-8000-0000000001}", false},
		{"0190b4c2x7f1a-7000-8000-000000000001", false},
		{"0190b4c2-7f1a-7000-8000-00000000000g", false},
		{"", false},
	} {
		id, err := ParseEventID(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.in, err, tc.ok)
		}
		if tc.ok && !strings.EqualFold(id.String(), tc.in) {
			t.Errorf("%q parsed as %s", tc.in, id)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	err := Limits{NamePattern: "(", MaxProperties: -1}.Validate()
	for _, want := range []error{ErrMaxEventBytes, ErrMaxProperties, ErrMaxLengths, ErrNamePattern} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
	if _, err := New(Limits{NamePattern: "("}); err == nil {
		t.Error("New accepted invalid limits")
	}
}

func TestLimitsWithin(t *testing.T) {
	d := DefaultLimits()
	lower := d
	lower.MaxURLLength, lower.MaxProperties = 100, 0
	if err := lower.Within(d); err != nil {
		t.Fatalf("lower limits: %v", err)
	}
	higher := d
	higher.MaxURLLength, higher.MaxEventBytes = d.MaxURLLength+1, d.MaxEventBytes*2
	err := higher.Within(d)
	if !errors.Is(err, ErrAboveStoreLimit) || !strings.Contains(err.Error(), "max url length") ||
		!strings.Contains(err.Error(), "max event bytes") {
		t.Fatalf("higher limits: %v", err)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	if got := Truncate(strings.Repeat("é", 10), 5); got != "éé..." {
		t.Fatalf("got %q", got)
	}
	if got := Truncate("a\xffb", 10); got != "a\uFFFDb" {
		t.Fatalf("invalid utf8: %q", got)
	}
}

// BenchmarkStorable: the writers run Storable on every message.
func BenchmarkStorable(b *testing.B) {
	c, err := New(DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	ev := stored()
	for b.Loop() {
		if err := c.Storable(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorableEncoded: the writers' path, with the message's size known.
func BenchmarkStorableEncoded(b *testing.B) {
	c, err := New(DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	ev := stored()
	size := proto.Size(ev)
	for b.Loop() {
		if err := c.StorableEncoded(ev, size); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStorableEncodedUsesTheGivenSize(t *testing.T) {
	c := newChecker(t)
	ev := stored()
	if err := c.StorableEncoded(ev, proto.Size(ev)); err != nil {
		t.Fatal(err)
	}
	limit := DefaultLimits().MaxStoredEventBytes()
	if err := c.StorableEncoded(ev, limit+1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size over the stored limit: %v", err)
	}
}

// TestSnakeNameIsTheDefaultPattern: the hand-written matcher agrees with the
// default pattern's regular expression.
func TestSnakeNameIsTheDefaultPattern(t *testing.T) {
	re := regexp.MustCompile(defaultNamePattern)
	names := []string{"", "a", "page_view", "a1_", "_a", "1a", "Page", "pageView", "page-view", "page view",
		"page_view\n", "é", "a\x00", strings.Repeat("a", 64), strings.Repeat("a", 65), "z" + strings.Repeat("9", 63)}
	for c := range 256 {
		names = append(names, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, n := range names {
		if got, want := isSnakeName(n), re.MatchString(n); got != want {
			t.Errorf("isSnakeName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
