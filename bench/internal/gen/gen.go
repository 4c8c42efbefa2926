// Package gen generates realistic user-behaviour events for the benchmark:
// a few sites, a pool of returning visitors, page paths with query strings,
// referrers, real-world user agents and a few custom properties, about 300
// bytes each once protobuf-encoded. Generation is deterministic for a seed so
// runs are comparable.
package gen

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/wire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var (
	paths = []string{
		"/", "/pricing", "/blog", "/blog/kafka-exactly-once", "/blog/clickhouse-vs-postgres",
		"/docs/getting-started", "/docs/sdk/go", "/docs/api/ingest", "/products/42", "/products/1337",
		"/cart", "/checkout", "/account/settings", "/search", "/about", "/careers",
	}
	titles = map[string]string{
		"/": "Home", "/pricing": "Pricing", "/blog": "Blog", "/cart": "Your cart",
		"/checkout": "Checkout", "/search": "Search results",
	}
	referrers = []string{
		"", "", "", "", "", "https://www.google.com/", "https://news.ycombinator.com/item?id=41234567",
		"https://t.co/abc123", "https://www.reddit.com/r/golang/comments/xyz/", "https://duckduckgo.com/",
		"https://github.com/footprint/footprint",
	}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
		"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	}
	// What a collector derives from each user agent above, so events written
	// straight to Kafka look like the collector's output.
	uaEnrich = []*eventv1.Enrichment{
		{Browser: "Chrome", BrowserVersion: "126.0.0.0", Os: "Windows", OsVersion: "10", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP},
		{Browser: "Safari", BrowserVersion: "17.5", Os: "macOS", OsVersion: "10.15.7", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP},
		{Browser: "Mobile Safari", BrowserVersion: "17.5", Os: "iOS", OsVersion: "17.5", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_MOBILE},
		{Browser: "Chrome Mobile", BrowserVersion: "126.0.0.0", Os: "Android", OsVersion: "14", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_MOBILE},
		{Browser: "Firefox", BrowserVersion: "127.0", Os: "Linux", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP},
		{Browser: "Mobile Safari", BrowserVersion: "17.5", Os: "iOS", OsVersion: "17.5", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_TABLET},
		{Browser: "Googlebot", BrowserVersion: "2.1", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_BOT, IsBot: true},
	}
	locales   = []string{"en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "ja-JP"}
	timeZones = []string{"America/New_York", "Europe/London", "Europe/Berlin", "Europe/Paris", "Asia/Tokyo"}
	screens   = [][2]uint32{{1920, 1080}, {1440, 900}, {390, 844}, {412, 915}, {2560, 1440}, {820, 1180}}
	custom    = []string{"comment_created", "like_created", "signup", "add_to_cart", "search"}
	utmSrc    = []string{"newsletter", "twitter", "google", "partner"}
)

// Config chooses what the generator produces.
type Config struct {
	// Sites are the site ids events are spread over; the collector's API key
	// must own all of them.
	Sites []string
	// Visitors is the size of the returning-visitor pool.
	Visitors int
	// Seed makes a run reproducible.
	Seed uint64
	// Enriched fills the fields the collector derives (received_at and
	// enrichment), for events sent straight to Kafka. Events sent to the
	// collector leave them empty because the collector overwrites them.
	Enriched bool
}

// Generator produces events. It is not safe for concurrent use: give each
// goroutine its own (with its own seed).
type Generator struct {
	cfg Config
	rng *rand.Rand
	now time.Time
}

// New returns a generator; ids it makes are unique across generators with
// different seeds.
func New(cfg Config) *Generator {
	if len(cfg.Sites) == 0 {
		cfg.Sites = []string{"bench"}
	}
	if cfg.Visitors <= 0 {
		cfg.Visitors = 50_000
	}
	return &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), now: time.Now()}
}

// NextID returns a fresh event id shaped like the collector's and the SDKs'
// (a UUIDv7 of now, random bits from the generator's own stream, so making
// one costs no syscall): the stores' key lookups see the ids production
// sends.
func (g *Generator) NextID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	return UUIDv7(time.Now(), b)
}

// UUIDv7 is a version 7 UUID (RFC 9562) of time at: its Unix milliseconds
// in the first 48 bits, the rest of b's bits random.
func UUIDv7(at time.Time, b [16]byte) string {
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = (b[6] & 0x0f) | 0x70
	return canonical(b)
}

// UUIDv4 sets b's version and variant bits (version 4, RFC 9562) and returns
// its canonical text form.
func UUIDv4(b [16]byte) string {
	b[6] = (b[6] & 0x0f) | 0x40
	return canonical(b)
}

// canonical sets the RFC 9562 variant bits and returns b's text form.
func canonical(b [16]byte) string {
	b[8] = (b[8] & 0x3f) | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// Event returns one new event with a fresh id.
func (g *Generator) Event() *eventv1.Event {
	r := g.rng
	path := paths[r.IntN(len(paths))]
	site := g.cfg.Sites[r.IntN(len(g.cfg.Sites))]
	visitor := r.IntN(g.cfg.Visitors)
	ua := r.IntN(len(userAgents))
	ref := referrers[r.IntN(len(referrers))]
	url := "https://" + site + ".io" + path
	utm := &eventv1.Utm{}
	if r.IntN(5) == 0 {
		utm.Source = utmSrc[r.IntN(len(utmSrc))]
		utm.Medium = "email"
		utm.Campaign = "spring_sale"
		url += "?utm_source=" + utm.Source + "&utm_medium=email&utm_campaign=spring_sale"
	}
	name := "page_view"
	props := map[string]string{}
	if r.IntN(4) == 0 {
		name = custom[r.IntN(len(custom))]
		props["object_id"] = strconv.Itoa(r.IntN(1_000_000))
	}
	if r.IntN(2) == 0 {
		props["plan"] = []string{"free", "pro", "team"}[r.IntN(3)]
	}
	occurred := g.now.Add(-time.Duration(r.IntN(3600_000)) * time.Millisecond)
	sc := screens[r.IntN(len(screens))]
	e := &eventv1.Event{
		EventId:    g.NextID(),
		SiteId:     site,
		Name:       name,
		OccurredAt: timestamppb.New(occurred),
		VisitorId:  fmt.Sprintf("v%07d", visitor),
		Page: &eventv1.Page{
			Url:      url,
			Path:     path,
			Title:    titles[path],
			Referrer: ref,
		},
		Client: &eventv1.ClientContext{
			UserAgent:    userAgents[ua],
			Locale:       locales[r.IntN(len(locales))],
			ScreenWidth:  sc[0],
			ScreenHeight: sc[1],
			TimeZone:     timeZones[r.IntN(len(timeZones))],
		},
		Utm:        utm,
		Properties: props,
	}
	if r.IntN(10) == 0 {
		e.UserId = fmt.Sprintf("u%06d", visitor)
	}
	if r.IntN(2) == 0 {
		// Sent by a server-side middleware: it knows the request but not the
		// screen, locale or time zone of the browser.
		e.HttpMethod, e.HttpStatus, e.DurationUs = "GET", 200, uint64(500+r.IntN(200_000))
		e.Client.Locale, e.Client.TimeZone, e.Client.ScreenWidth, e.Client.ScreenHeight = "", "", 0, 0
		e.Page.Title = ""
	}
	if g.cfg.Enriched {
		e.ReceivedAt = timestamppb.New(occurred.Add(time.Duration(r.IntN(200)) * time.Millisecond))
		en := uaEnrich[ua]
		e.Enrichment = &eventv1.Enrichment{
			Browser: en.Browser, BrowserVersion: en.BrowserVersion, Os: en.Os, OsVersion: en.OsVersion,
			DeviceClass: en.DeviceClass, IsBot: en.IsBot, ReferrerHost: refHost(ref),
		}
	}
	return e
}

func refHost(ref string) string {
	switch {
	case ref == "":
		return ""
	case len(ref) > 12 && ref[:12] == "https://www.":
		ref = ref[12:]
	case len(ref) > 8 && ref[:8] == "https://":
		ref = ref[8:]
	}
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			return ref[:i]
		}
	}
	return ref
}

// Message is one encoded event as the collector would put it on Kafka.
type Message struct {
	// ID is the event id.
	ID string
	// Key is the Kafka message key (wire.MessageKey).
	Key []byte
	// Value is the protobuf-encoded event.
	Value []byte
}

// Headers returns the Kafka headers of an event message (internal/wire).
func Headers() [][2]string {
	return [][2]string{
		{wire.HeaderContentType, wire.ContentTypeProtobuf},
		{wire.HeaderSchema, wire.SchemaEvent},
		{wire.HeaderSchemaVersion, wire.SchemaVersion},
	}
}

// Encoded generates n events and encodes them, for the raw producer and for
// pre-filling topics.
func (g *Generator) Encoded(n int) ([]Message, error) {
	out := make([]Message, n)
	opts := proto.MarshalOptions{Deterministic: true}
	for i := range out {
		e := g.Event()
		v, err := opts.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		out[i] = Message{ID: e.EventId, Key: wire.MessageKey(e.SiteId, e.VisitorId), Value: v}
	}
	return out, nil
}

// MeanSize returns the mean encoded size of msgs in bytes.
func MeanSize(msgs []Message) float64 {
	if len(msgs) == 0 {
		return 0
	}
	total := 0
	for _, m := range msgs {
		total += len(m.Value)
	}
	return float64(total) / float64(len(msgs))
}
