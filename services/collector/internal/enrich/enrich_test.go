package enrich

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

var day1 = time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)

func newEnricher(t *testing.T, cfg Config) *Enricher {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e, _, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUserAgent(t *testing.T) {
	e := newEnricher(t, Config{VisitorIDSecret: "0123456789abcdef"})
	cases := []struct {
		ua   string
		want *eventv1.Enrichment
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
			&eventv1.Enrichment{Browser: "Chrome", BrowserVersion: "118.0.0.0", Os: "Windows", OsVersion: "10", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
			&eventv1.Enrichment{Browser: "Safari", BrowserVersion: "17.1.2", Os: "iOS", OsVersion: "17.1.2", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_MOBILE}},
		{"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
			&eventv1.Enrichment{Browser: "Safari", BrowserVersion: "16.6", Os: "iOS", OsVersion: "16.6", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_TABLET}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
			&eventv1.Enrichment{Browser: "Chrome", BrowserVersion: "120.0.6099.144", Os: "Android", OsVersion: "14", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_MOBILE}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			&eventv1.Enrichment{Browser: "Safari", BrowserVersion: "17.1", Os: "MacOS", OsVersion: "10.15.7", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP}},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			&eventv1.Enrichment{Browser: "Firefox", BrowserVersion: "121.0", Os: "Linux", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			&eventv1.Enrichment{IsBot: true, DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_BOT}},
		{"python-requests/2.31.0",
			&eventv1.Enrichment{IsBot: true, DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_BOT}},
		{"Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1",
			&eventv1.Enrichment{Os: "Linux", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_OTHER}},
		{"something unknown",
			&eventv1.Enrichment{DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_OTHER}},
	}
	// The second round is answered from the user-agent cache and must agree.
	for _, round := range []string{"parsed", "cached"} {
		for _, tc := range cases {
			ev := &eventv1.Event{SiteId: "s", VisitorId: "v", Client: &eventv1.ClientContext{UserAgent: tc.ua}}
			e.Enrich(ev, "", day1, false, false)
			if !proto.Equal(ev.Enrichment, tc.want) {
				t.Errorf("%s: %s\n got %v\nwant %v", round, tc.ua, ev.Enrichment, tc.want)
			}
		}
	}
}

func TestAgentCacheStaysBounded(t *testing.T) {
	e := newEnricher(t, Config{VisitorIDSecret: "0123456789abcdef"})
	if e.maxAgents != maxCachedAgents {
		t.Fatalf("bound %d, want %d", e.maxAgents, maxCachedAgents)
	}
	e.maxAgents = 100 // each miss runs crawlerdetect: keep the test fast
	for i := range e.maxAgents + 10 {
		e.agent(fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", i, i))
	}
	if n := len(e.agents); n == 0 || n > e.maxAgents {
		t.Fatalf("cache holds %d agents, want 1..%d", n, e.maxAgents)
	}
}

func TestNoUserAgent(t *testing.T) {
	e := newEnricher(t, Config{})
	ev := &eventv1.Event{SiteId: "s", VisitorId: "v"}
	e.Enrich(ev, "", day1, true, true)
	want := &eventv1.Enrichment{EventIdAssigned: true, ClockClamped: true}
	if !proto.Equal(ev.Enrichment, want) {
		t.Fatalf("got %v", ev.Enrichment)
	}
}

func TestReferrerAndUTM(t *testing.T) {
	e := newEnricher(t, Config{})
	ev := &eventv1.Event{
		SiteId: "s", VisitorId: "v",
		Page: &eventv1.Page{
			Url:      "https://a.example/?utm_source=src&utm_medium=med&utm_campaign=camp&utm_term=term&utm_content=cont&x=1",
			Referrer: "https://WWW.News.Example:8443/article?id=1",
		},
		Utm: &eventv1.Utm{Medium: "client"},
	}
	e.Enrich(ev, "", day1, false, false)
	if ev.Enrichment.ReferrerHost != "news.example" {
		t.Errorf("referrer host %q", ev.Enrichment.ReferrerHost)
	}
	want := &eventv1.Utm{Source: "src", Medium: "client", Campaign: "camp", Term: "term", Content: "cont"}
	if !proto.Equal(ev.Utm, want) {
		t.Errorf("utm %v", ev.Utm)
	}

	// No utm_ parameters: Utm stays unset.
	ev = &eventv1.Event{SiteId: "s", VisitorId: "v", Page: &eventv1.Page{Url: "https://a.example/?q=1"}}
	e.Enrich(ev, "", day1, false, false)
	if ev.Utm != nil {
		t.Errorf("utm %v", ev.Utm)
	}
}

func TestVisitorID(t *testing.T) {
	cfg := Config{VisitorIDSecret: "a-shared-secret-of-replicas"}
	a, b := newEnricher(t, cfg), newEnricher(t, cfg)
	derive := func(e *Enricher, at time.Time, site, clientIP, peer, ua string) *eventv1.Event {
		ev := &eventv1.Event{SiteId: site, Client: &eventv1.ClientContext{UserAgent: ua, Ip: clientIP}}
		e.Enrich(ev, peer, at, false, false)
		if !ev.Enrichment.VisitorIdDerived || len(ev.VisitorId) != 32 {
			t.Fatalf("visitor %q derived=%v", ev.VisitorId, ev.Enrichment.VisitorIdDerived)
		}
		return ev
	}
	base := derive(a, day1, "s", "192.0.2.1", "10.0.0.1", "ua").VisitorId
	if got := derive(b, day1.Add(-time.Hour), "s", "192.0.2.1", "10.0.0.9", "ua").VisitorId; got != base {
		t.Errorf("replicas sharing the secret disagree on the same day: %s vs %s", got, base)
	}
	for name, got := range map[string]string{
		"next day":     derive(a, day1.Add(2*time.Minute), "s", "192.0.2.1", "", "ua").VisitorId,
		"other ip":     derive(a, day1, "s", "192.0.2.2", "", "ua").VisitorId,
		"other ua":     derive(a, day1, "s", "192.0.2.1", "", "ua2").VisitorId,
		"other site":   derive(a, day1, "t", "192.0.2.1", "", "ua").VisitorId,
		"other secret": derive(newEnricher(t, Config{VisitorIDSecret: "another-secret-of-16"}), day1, "s", "192.0.2.1", "", "ua").VisitorId,
	} {
		if got == base {
			t.Errorf("%s: same visitor id", name)
		}
	}
	// The peer address is used when the event has no client.ip.
	viaPeer := derive(a, day1, "s", "", "192.0.2.1", "ua").VisitorId
	if viaPeer != base {
		t.Errorf("peer address not used: %s vs %s", viaPeer, base)
	}
	// A client-given visitor id is kept.
	ev := &eventv1.Event{SiteId: "s", VisitorId: "cookie"}
	a.Enrich(ev, "192.0.2.1", day1, false, false)
	if ev.VisitorId != "cookie" || ev.Enrichment.VisitorIdDerived {
		t.Errorf("client visitor id replaced: %v", ev)
	}
}

func TestRawIP(t *testing.T) {
	for _, keep := range []bool{false, true} {
		e := newEnricher(t, Config{KeepRawIP: keep})
		ev := &eventv1.Event{SiteId: "s", Client: &eventv1.ClientContext{Ip: "192.0.2.1"}}
		e.Enrich(ev, "", day1, false, false)
		if got := ev.Client.Ip; (got != "") != keep {
			t.Errorf("keep=%v: client.ip %q", keep, got)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{VisitorIDSecret: "short"}).Validate(); !errors.Is(err, ErrVisitorSecretShort) {
		t.Fatalf("got %v", err)
	}
}
