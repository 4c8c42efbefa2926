package equality

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

const site = "eq-site"

// The data lives around the European spring DST change (29 March 2026,
// 01:00 UTC) and the US one (8 March 2026), so local days and hours in
// those zones have 23 hours or skip one.
var (
	dataStart = time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	dataDays  = 28
)

type visitorProfile struct {
	browser, browserVersion, os, osVersion string
	device                                 eventv1.DeviceClass
	locale                                 string
	bot                                    bool
}

var profiles = []visitorProfile{
	{"Chrome", "120.0", "Windows", "10", eventv1.DeviceClass_DEVICE_CLASS_DESKTOP, "en-US", false},
	{"Firefox", "121.0", "Linux", "", eventv1.DeviceClass_DEVICE_CLASS_DESKTOP, "de-DE", false},
	{"Safari", "17.2", "iOS", "17.2", eventv1.DeviceClass_DEVICE_CLASS_MOBILE, "fr-FR", false},
	{"Chrome", "119.0", "Android", "14", eventv1.DeviceClass_DEVICE_CLASS_TABLET, "ja-JP", false},
	{"Googlebot", "2.1", "", "", eventv1.DeviceClass_DEVICE_CLASS_BOT, "", true},
}

var (
	pages     = []string{"/", "/pricing", "/blog/ünïcödé", "/docs/日本語", "/about?x=1", "/emoji/🚀", "/a'b\"c", "/blog/post-1"}
	referrers = []struct{ url, host string }{
		{"", ""}, {"https://www.google.com/search?q=x", "google.com"}, {"https://news.ycombinator.com/item?id=1", "news.ycombinator.com"},
		{"https://t.co/abc", "t.co"}, {"https://例え.jp/パス", "例え.jp"},
		// Self-referrals: the page's own host (example.com, see build).
		{"https://example.com/pricing", "example.com"}, {"http://www.example.com:8080/", "example.com"},
	}
	utms = []*eventv1.Utm{
		{}, {Source: "newsletter", Medium: "email", Campaign: "spring", Term: "analytics", Content: "hero"},
		{Source: "twitter", Medium: "social", Campaign: "launch"},
	}
	customNames = []string{"signup", "download", "comment_created"}
	methods     = []string{"GET", "POST", ""}
	statuses    = []uint32{200, 404, 500, 0}
)

// event builds one event; the rest of the fields come from the visitor.
type eventSpec struct {
	visitor int
	at      time.Time
	name    string
	page    string
	// visit-level fields are set on every event (a visit's first event
	// decides its visit:* values, so later ones may differ).
	referrer int
	utm      int
	method   string
	status   uint32
	props    map[string]string
	// host of the page URL; example.com when empty.
	host string
}

func (s eventSpec) build() *eventv1.Event {
	p := profiles[s.visitor%len(profiles)]
	ref := referrers[s.referrer%len(referrers)]
	host := s.host
	if host == "" {
		host = "example.com"
	}
	return &eventv1.Event{
		EventId:    uuid.NewString(),
		SiteId:     site,
		Name:       s.name,
		OccurredAt: timestamppb.New(s.at),
		ReceivedAt: timestamppb.New(s.at.Add(time.Second)),
		VisitorId:  fmt.Sprintf("visitor-%03d", s.visitor),
		Page:       &eventv1.Page{Url: "https://" + host + s.page, Path: s.page, Referrer: ref.url},
		HttpMethod: s.method,
		HttpStatus: s.status,
		Client:     &eventv1.ClientContext{UserAgent: "ua-" + p.browser, Locale: p.locale},
		Utm:        utms[s.utm%len(utms)],
		Properties: s.props,
		Enrichment: &eventv1.Enrichment{
			Browser: p.browser, BrowserVersion: p.browserVersion, Os: p.os, OsVersion: p.osVersion,
			DeviceClass: p.device, IsBot: p.bot, ReferrerHost: ref.host,
		},
	}
}

// fixedEvents are hand-made edge cases; each comment names what it pins.
func fixedEvents() []*eventv1.Event {
	day := func(d, h, m, s, ns int) time.Time { return time.Date(2026, 3, d, h, m, s, ns, time.UTC) }
	apr2 := func(h, m, s, ns int) time.Time { return time.Date(2026, 4, 2, h, m, s, ns, time.UTC) }
	specs := []eventSpec{
		// A visit across midnight UTC (and Berlin midnight an hour earlier).
		{visitor: 900, at: day(20, 23, 50, 0, 0), name: "page_view", page: "/", referrer: 1, utm: 1},
		{visitor: 900, at: day(21, 0, 10, 0, 0), name: "page_view", page: "/pricing", referrer: 2},
		// Gap exactly 30 minutes: same visit; 30 min + 1 µs: a new visit.
		{visitor: 901, at: day(10, 10, 0, 0, 0), name: "page_view", page: "/"},
		{visitor: 901, at: day(10, 10, 30, 0, 0), name: "page_view", page: "/pricing"},
		{visitor: 901, at: day(10, 11, 0, 0, 1000), name: "page_view", page: "/about?x=1"},
		// Events in the same second, and in the same microsecond (the
		// event_id breaks the tie; nanoseconds below a microsecond do not).
		{visitor: 902, at: day(12, 8, 0, 5, 100), name: "page_view", page: "/blog/ünïcödé"},
		{visitor: 902, at: day(12, 8, 0, 5, 900), name: "signup", page: "/pricing", props: map[string]string{"plan": "pro"}},
		{visitor: 902, at: day(12, 8, 0, 5, 999_999_999), name: "page_view", page: "/docs/日本語"},
		// A bounce (one page view) and a visit with one custom event only.
		{visitor: 903, at: day(14, 12, 0, 0, 0), name: "page_view", page: "/emoji/🚀", referrer: 4},
		{visitor: 908, at: day(14, 12, 0, 0, 0), name: "download", page: "/a'b\"c", props: map[string]string{"file": "x'; DROP TABLE events; --"}},
		// Around the Berlin DST change: 00:59:59 and 01:00:00 UTC on 29 March.
		{visitor: 905, at: day(29, 0, 59, 59, 0), name: "page_view", page: "/"},
		{visitor: 905, at: day(29, 1, 0, 0, 0), name: "page_view", page: "/blog/post-1"},
		// Around the New York DST change: 06:59 and 07:01 UTC on 8 March.
		{visitor: 906, at: day(8, 6, 59, 0, 0), name: "page_view", page: "/", utm: 2},
		{visitor: 906, at: day(8, 7, 1, 0, 0), name: "comment_created", page: "/blog/post-1", props: map[string]string{"plan": "free"}},
		// Realtime (the suite's now is 2 April 12:00 UTC): two visitors in
		// the last five minutes, one just before them, a bot.
		{visitor: 910, at: apr2(11, 56, 0, 0), name: "page_view", page: "/pricing"},
		{visitor: 911, at: apr2(11, 59, 30, 0), name: "page_view", page: "/"},
		{visitor: 911, at: apr2(11, 59, 40, 0), name: "signup", page: "/pricing"},
		{visitor: 912, at: apr2(11, 54, 59, 0), name: "page_view", page: "/about?x=1"},
		{visitor: 914, at: apr2(11, 58, 0, 0), name: "page_view", page: "/"},
		// A bot's visit.
		{visitor: 4, at: day(15, 3, 0, 0, 0), name: "page_view", page: "/"},
		// Engagement is not an interaction: one page view plus its
		// engagement 2 minutes later is a bounce of 120 s; a lone
		// engagement (a tab hidden after a pause over 30 minutes) is a visit
		// with no event and no bounce.
		{visitor: 915, at: day(16, 9, 0, 0, 0), name: "page_view", page: "/pricing"},
		{visitor: 915, at: day(16, 9, 2, 0, 0), name: "engagement", page: "/pricing"},
		{visitor: 916, at: day(16, 10, 0, 0, 0), name: "engagement", page: "/"},
		// Self-referrals are direct: the page's own host, with or without
		// "www.", a port, user info or upper case; a subdomain is not the
		// same host.
		{visitor: 917, at: day(17, 9, 0, 0, 0), name: "page_view", page: "/", referrer: 5},
		{visitor: 918, at: day(17, 9, 0, 0, 0), name: "page_view", page: "/", referrer: 6, host: "user@WWW.Example.COM:8443"},
		{visitor: 921, at: day(17, 9, 0, 0, 0), name: "page_view", page: "/", referrer: 5, host: "blog.example.com"},
		{visitor: 920, at: day(17, 9, 0, 0, 0), name: "page_view", page: "/", referrer: 1},
	}
	out := make([]*eventv1.Event, len(specs))
	for i, s := range specs {
		if s.method == "" {
			s.method = "GET"
			s.status = 200
		}
		out[i] = s.build()
	}
	return out
}

// generatedEvents is a seeded random event set: visitors with visits of
// varying length and gaps, custom events with properties, bots.
func generatedEvents(seed uint64, visitors int) []*eventv1.Event {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []*eventv1.Event
	for v := range visitors {
		at := dataStart.Add(time.Duration(r.Int64N(int64(dataDays) * int64(24*time.Hour))))
		visits := 1 + r.IntN(4)
		for range visits {
			ref, u := r.IntN(len(referrers)), r.IntN(len(utms))
			for range 1 + r.IntN(6) {
				s := eventSpec{visitor: v, at: at, name: "page_view", page: pages[r.IntN(len(pages))],
					referrer: ref, utm: u, method: methods[r.IntN(len(methods))], status: statuses[r.IntN(len(statuses))]}
				if r.IntN(5) == 0 {
					s.name = customNames[r.IntN(len(customNames))]
					s.props = map[string]string{"plan": []string{"free", "pro", "ünï"}[r.IntN(3)]}
					if r.IntN(2) == 0 {
						s.props["source"] = "app"
					}
				}
				out = append(out, s.build())
				// Mostly seconds to minutes apart, sometimes the same second.
				step := time.Duration(r.Int64N(int64(20*time.Minute))) + time.Duration(r.IntN(1000))*time.Microsecond
				// The browser tracker's engagement when the page is hidden,
				// before the next event, on the same page.
				if s.name == "page_view" && r.IntN(3) == 0 {
					e := s
					e.name, e.at, e.props = "engagement", at.Add(step/2), nil
					out = append(out, e.build())
				}
				at = at.Add(step)
			}
			// The next visit after a pause over 30 minutes, up to two days.
			at = at.Add(31*time.Minute + time.Duration(r.Int64N(int64(48*time.Hour))))
		}
	}
	return out
}
