package sink

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
)

func storableEvent() *eventv1.Event {
	now := time.Now()
	return &eventv1.Event{
		EventId: "0190b4c2-7f1a-7000-8000-000000000001", SiteId: "site-1", Name: "page_view", VisitorId: "v",
		OccurredAt: timestamppb.New(now.Add(-time.Minute)), ReceivedAt: timestamppb.New(now),
		Page:   &eventv1.Page{Path: "/"},
		Client: &eventv1.ClientContext{UserAgent: "ua", Ip: "192.0.2.1"},
	}
}

func marshal(t *testing.T, ev *eventv1.Event) []byte {
	t.Helper()
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newDecoder(t *testing.T, mutate func(*Config)) *Decoder {
	t.Helper()
	cfg := DefaultConfig("pg_writer")
	if mutate != nil {
		mutate(&cfg)
	}
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeRejects(t *testing.T) {
	with := func(change func(*eventv1.Event)) []byte {
		ev := storableEvent()
		change(ev)
		return marshal(t, ev)
	}
	cases := []struct {
		name   string
		value  []byte
		want   error
		reason string // the start of the DLQ reason, the same from both writers
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, ErrUndecodable, "undecodable protobuf value"},
		{"bad uuid", with(func(e *eventv1.Event) { e.EventId = "not-a-uuid" }), eventcheck.ErrInvalidFormat, "not storable: event_id:"},
		{"nil uuid", with(func(e *eventv1.Event) { e.EventId = "00000000-0000-0000-0000-000000000000" }), eventcheck.ErrInvalidFormat, "not storable: event_id: event_id must not be the nil UUID"},
		{"max uuid", with(func(e *eventv1.Event) { e.EventId = "ffffffff-ffff-ffff-ffff-ffffffffffff" }), eventcheck.ErrInvalidFormat, "not storable: event_id: event_id must not be the max"},
		{"no site", with(func(e *eventv1.Event) { e.SiteId = "" }), eventcheck.ErrRequired, "not storable: site_id:"},
		{"no name", with(func(e *eventv1.Event) { e.Name = "" }), eventcheck.ErrRequired, "not storable: name:"},
		{"name of 10000 chars", with(func(e *eventv1.Event) { e.Name = strings.Repeat("n", 10_000) }), eventcheck.ErrInvalidFormat, "not storable: name:"},
		{"path of 9001 bytes", with(func(e *eventv1.Event) { e.Page.Path = "/" + strings.Repeat("p", 9000) }), eventcheck.ErrTooLong, "not storable: page.path: 9001 bytes, more than the limit of 2048"},
		{"no occurred", with(func(e *eventv1.Event) { e.OccurredAt = nil }), eventcheck.ErrRequired, "not storable: occurred_at:"},
		{"no received", with(func(e *eventv1.Event) { e.ReceivedAt = nil }), eventcheck.ErrRequired, "not storable: received_at:"},
		{"occurred before 1970", with(func(e *eventv1.Event) { e.OccurredAt = timestamppb.New(time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)) }), eventcheck.ErrTimeRange, "not storable: occurred_at: 1969-07-20T20:17:00Z is outside 1970-01-01..2100-01-01"},
		{"kept ip invalid", with(func(e *eventv1.Event) { e.Client.Ip = "not-an-ip" }), eventcheck.ErrInvalidFormat, "not storable: client.ip:"},
	}
	// The kept-ip case needs a writer that keeps ips; the others hold for both settings.
	for _, keep := range []bool{false, true} {
		d := newDecoder(t, func(c *Config) { c.KeepClientIP = keep })
		for _, tc := range cases {
			if tc.name == "kept ip invalid" && !keep {
				continue
			}
			ev, err := d.Decode(tc.value)
			if ev != nil || !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), tc.reason) {
				t.Errorf("keep ip %v, %s: got %v, want %v starting %q", keep, tc.name, err, tc.want, tc.reason)
			}
		}
	}
}

func TestDecodeClearsClientIPUnlessKept(t *testing.T) {
	value := marshal(t, storableEvent())
	for _, tc := range []struct {
		keep bool
		want string
	}{{false, ""}, {true, "192.0.2.1"}} {
		ev, err := newDecoder(t, func(c *Config) { c.KeepClientIP = tc.keep }).Decode(value)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.GetClient().GetIp(); got != tc.want {
			t.Errorf("keep %v: ip %q, want %q", tc.keep, got, tc.want)
		}
		if ev.GetClient().GetUserAgent() != "ua" {
			t.Errorf("keep %v: the rest of the client context was changed", tc.keep)
		}
	}
	// An invalid ip that is cleared anyway does not make the event unstorable.
	ev := storableEvent()
	ev.Client.Ip = "not-an-ip"
	if _, err := newDecoder(t, nil).Decode(marshal(t, ev)); err != nil {
		t.Errorf("cleared invalid ip: %v", err)
	}
}

func TestVarsKeepClientIP(t *testing.T) {
	env := map[string]string{"FOOTPRINT_WRITER_KEEP_CLIENT_IP": "true"}
	cfg := DefaultConfig("ch_writer")
	if cfg.KeepClientIP {
		t.Fatal("client ip kept by default")
	}
	err := cfg.Vars().Apply(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || !cfg.KeepClientIP {
		t.Fatalf("keep %v, err %v", cfg.KeepClientIP, err)
	}
}
