package dashboards

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/footprint/footprint/bench/internal/gen"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DataConfig chooses the data set. Generation is deterministic: the same
// config gives the same events, ids included.
type DataConfig struct {
	// Events is the exact number of events generated.
	Events int
	// Visitors is the visitor pool (distinct visitor ids, bots included);
	// 0 means Events/10 (1M for 10M events).
	Visitors int
	// Site is the one site every event belongs to.
	Site string
	// LastDay is the last UTC day of the data; the data covers Days days
	// ending with it.
	LastDay time.Time
	Days    int
	// Pages is the number of distinct paths (Zipf-distributed views).
	Pages int
	Seed  uint64
}

// The data set's fixed parameters, stated once (docs and the report quote
// them).
const (
	// BotShare is the share of visits, hence about of events, by crawlers.
	BotShare = 0.05
	// CustomShare is the share of events that are custom events.
	CustomShare = 0.03
	// ServerShare is the share of events recorded by a server-side
	// middleware, which carry an HTTP method and status.
	ServerShare = 0.2
	// LoggedInShare is the share of human visitors with a user id.
	LoggedInShare = 0.05
	// visitLengthAlpha is the Pareto tail of events per visit:
	// P(length >= k) = k^-alpha, so about 62% of visits have one event.
	visitLengthAlpha = 1.4
	maxVisitLength   = 500
	// meanGap is the mean time between two events of a visit; gaps are
	// exponential and capped below the 30-minute visit gap.
	meanGap = 50 * time.Second
	maxGap  = 29 * time.Minute
	// pageZipfS is the Zipf exponent of page popularity.
	pageZipfS = 1.1
	// returningSkew shapes how often returning visitors come back: visitor
	// floor(pool * U^skew), so the most loyal visitor makes about
	// pool^(-1/skew) of returning visits.
	returningSkew = 1.5
)

// ErrDataConfig is returned for an unusable data configuration.
var ErrDataConfig = errors.New("dashboards: invalid data configuration")

// DefaultData is the data set: 10M events over 30 days, 1M visitors.
func DefaultData() DataConfig {
	return DataConfig{
		Events:  10_000_000,
		Site:    "bench-dashboards",
		LastDay: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		Days:    30,
		Pages:   5000,
		Seed:    20261031,
	}
}

// Validate reports every configuration error at once.
func (c DataConfig) Validate() error {
	var errs []error
	if c.Events < 1 {
		errs = append(errs, fmt.Errorf("%w: events must be positive", ErrDataConfig))
	}
	if c.Site == "" {
		errs = append(errs, fmt.Errorf("%w: site is required", ErrDataConfig))
	}
	if c.Days < 7 {
		errs = append(errs, fmt.Errorf("%w: days must be at least 7 (the 7-day range)", ErrDataConfig))
	}
	if c.Pages < 6 {
		errs = append(errs, fmt.Errorf("%w: pages must be at least 6", ErrDataConfig))
	}
	return errors.Join(errs...)
}

// VisitorPool returns the configured or derived visitor pool size.
func (c DataConfig) VisitorPool() int {
	if c.Visitors > 0 {
		return c.Visitors
	}
	return max(10, c.Events/10)
}

// FirstDay is the first UTC day of the data.
func (c DataConfig) FirstDay() time.Time { return c.LastDay.AddDate(0, 0, -(c.Days - 1)) }

// generator holds the state of one generation.
type generator struct {
	cfg       DataConfig
	r         *rand.Rand
	pages     *rand.Zipf
	humans    int // human visitor pool
	botPool   int
	newHuman  int // next never-seen human visitor
	start     time.Time
	end       time.Time
	days      picker[int]
	hours     picker[int]
	remaining int
}

// Generate produces cfg.Events events in batches of batch and hands each to
// emit (which may keep the slice). Visits are generated whole, one after
// the other, each starting at a time drawn from the daily and weekly cycle.
func Generate(cfg DataConfig, batch int, emit func([]*eventv1.Event) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	g := newGenerator(cfg)
	out := make([]*eventv1.Event, 0, batch)
	for g.remaining > 0 {
		for _, ev := range g.visit() {
			out = append(out, ev)
			if len(out) == batch {
				if err := emit(out); err != nil {
					return err
				}
				out = make([]*eventv1.Event, 0, batch)
			}
		}
	}
	if len(out) > 0 {
		return emit(out)
	}
	return nil
}

func newGenerator(cfg DataConfig) *generator {
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed_da5b_0a2d5))
	pool := cfg.VisitorPool()
	bots := max(1, pool/100)
	g := &generator{
		cfg: cfg, r: r, humans: max(1, pool-bots), botPool: bots,
		pages:     rand.NewZipf(r, pageZipfS, 1, uint64(cfg.Pages-1)),
		start:     cfg.FirstDay(),
		end:       cfg.LastDay.AddDate(0, 0, 1),
		remaining: cfg.Events,
	}
	var days []weighted[int]
	for d := range cfg.Days {
		days = append(days, weighted[int]{d, weekdayWeights[g.start.AddDate(0, 0, d).Weekday()]})
	}
	g.days = newPicker(days)
	var hours []weighted[int]
	for h, w := range hourWeights {
		hours = append(hours, weighted[int]{h, w})
	}
	g.hours = newPicker(hours)
	return g
}

// visitLength draws events per visit from a discrete Pareto tail.
func (g *generator) visitLength() int {
	u := 1 - g.r.Float64() // (0, 1]
	n := int(math.Pow(u, -1/visitLengthAlpha))
	return min(max(n, 1), maxVisitLength, g.remaining)
}

// visitStart draws a start from the daily and weekly cycle.
func (g *generator) visitStart() time.Time {
	day := g.days.pick(g.r)
	hour := g.hours.pick(g.r)
	within := time.Duration(g.r.Int64N(int64(time.Hour/time.Microsecond))) * time.Microsecond
	return g.start.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + within)
}

// gap draws the time to a visit's next event.
func (g *generator) gap(mean time.Duration) time.Duration {
	d := time.Duration(g.r.ExpFloat64() * float64(mean))
	return min(max(d, time.Millisecond), maxGap).Truncate(time.Microsecond)
}

func (g *generator) page() string { return pageName(int(g.pages.Uint64())) }

// eventID returns a UUIDv7 of the event's time (as the collector and the
// SDKs make them), its random bits from the generator's stream.
func (g *generator) eventID(at time.Time) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return gen.UUIDv7(at, b)
}

// humanVisitor returns a never-seen visitor until the pool is used up, then
// a returning one, skewed towards loyal visitors.
func (g *generator) humanVisitor() int {
	if g.newHuman < g.humans {
		g.newHuman++
		return g.newHuman - 1
	}
	return int(float64(g.humans) * math.Pow(g.r.Float64(), returningSkew))
}

// visit generates one whole visit (truncated at the end of the data).
func (g *generator) visit() []*eventv1.Event {
	n := g.visitLength()
	if g.r.Float64() < BotShare {
		return g.botVisit(n)
	}
	v := g.humanVisitor()
	// A visitor keeps one device, and is logged in or not, across visits.
	c := clients.at(unit(uint64(v)))
	visitor := "v" + strconv.Itoa(v)
	user := ""
	if unit(uint64(v)^0x1091) < LoggedInShare {
		user = "u" + strconv.Itoa(v)
	}
	ref := referrers.pick(g.r)
	if ref == "other" {
		ref = "https://site" + strconv.Itoa(g.r.IntN(otherReferrers)) + ".example/"
	}
	tag := utms.pick(g.r)
	t := g.visitStart()
	evs := make([]*eventv1.Event, 0, n)
	for i := range n {
		if i > 0 {
			t = t.Add(g.gap(meanGap))
		}
		if !t.Before(g.end) {
			break
		}
		path := g.page()
		ev := g.event(visitor, t, path, c)
		ev.UserId = user
		if i == 0 {
			ev.Page.Referrer = ref
			ev.Enrichment.ReferrerHost = referrerHost(ref)
			if tag.source != "" {
				ev.Utm = &eventv1.Utm{Source: tag.source, Medium: tag.medium, Campaign: tag.campaign}
				ev.Page.Url += "?utm_source=" + tag.source + "&utm_medium=" + tag.medium + "&utm_campaign=" + tag.campaign
			}
		} else {
			// Internal navigation: the previous page of the same site.
			ev.Page.Referrer = "https://example.com/"
			ev.Enrichment.ReferrerHost = "example.com"
		}
		if g.r.Float64() < CustomShare {
			g.makeCustom(ev)
		}
		if g.r.Float64() < ServerShare {
			ev.HttpMethod = "GET"
			if g.r.IntN(30) == 0 {
				ev.HttpMethod = "POST"
			}
			ev.HttpStatus = httpStatuses.pick(g.r)
			ev.DurationUs = uint64(200 + g.r.IntN(150_000))
		}
		evs = append(evs, ev)
	}
	g.remaining -= len(evs)
	return evs
}

func (g *generator) botVisit(n int) []*eventv1.Event {
	b := g.r.IntN(g.botPool)
	c := bots.at(unit(uint64(b) ^ 0xb07))
	visitor := "b" + strconv.Itoa(b)
	t := g.visitStart()
	evs := make([]*eventv1.Event, 0, n)
	for i := range n {
		if i > 0 {
			t = t.Add(g.gap(5 * time.Second))
		}
		if !t.Before(g.end) {
			break
		}
		evs = append(evs, g.event(visitor, t, g.page(), c))
	}
	g.remaining -= len(evs)
	return evs
}

// event is one page view with what the collector adds (received_at,
// enrichment), as the writers receive it from Kafka.
func (g *generator) event(visitor string, t time.Time, path string, c client) *eventv1.Event {
	en := c.enrich
	return &eventv1.Event{
		EventId:    g.eventID(t),
		SiteId:     g.cfg.Site,
		Name:       "page_view",
		OccurredAt: timestamppb.New(t),
		ReceivedAt: timestamppb.New(t.Add(time.Duration(20+g.r.IntN(300)) * time.Millisecond)),
		VisitorId:  visitor,
		Page:       &eventv1.Page{Url: "https://example.com" + path, Path: path},
		Client: &eventv1.ClientContext{
			UserAgent: c.ua, Locale: c.locale, ScreenWidth: c.screen[0], ScreenHeight: c.screen[1], TimeZone: c.timeZone,
		},
		Enrichment: &eventv1.Enrichment{
			Browser: en.Browser, BrowserVersion: en.BrowserVersion, Os: en.Os, OsVersion: en.OsVersion,
			DeviceClass: en.DeviceClass, IsBot: en.IsBot,
		},
	}
}

// makeCustom turns a page view into a custom event on the same page.
func (g *generator) makeCustom(ev *eventv1.Event) {
	ev.Name = customEvents.pick(g.r)
	switch ev.Name {
	case "signup", "add_to_cart":
		ev.Properties = map[string]string{"plan": plans.pick(g.r)}
	case "search":
		ev.Properties = map[string]string{"results": strconv.Itoa(g.r.IntN(50))}
	default:
		ev.Properties = map[string]string{"target": "https://partner" + strconv.Itoa(g.r.IntN(20)) + ".example/"}
	}
}

// referrerHost is the collector's referrer_host: the host without "www.".
func referrerHost(ref string) string {
	if ref == "" {
		return ""
	}
	h := ref
	if i := len("https://"); len(h) > i && h[:i] == "https://" {
		h = h[i:]
	}
	for i := range len(h) {
		if h[i] == '/' {
			h = h[:i]
			break
		}
	}
	if len(h) > 4 && h[:4] == "www." {
		h = h[4:]
	}
	return h
}

// unit maps x to [0, 1) by the splitmix64 finaliser: a fixed, well-spread
// choice per visitor (its device, whether it logs in).
func unit(x uint64) float64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
