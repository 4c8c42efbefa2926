// Package enrich fills the collector-derived fields of an event: user-agent
// details, referrer host, UTM parameters from the page URL, and a cookieless
// visitor id. It also drops the raw client IP unless the operator keeps it.
package enrich

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	useragent "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
	"github.com/x-way/crawlerdetect"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// ErrVisitorSecretShort is returned by Config.Validate for a secret that is too short to be a key.
var ErrVisitorSecretShort = errors.New("enrich: visitor id secret must be at least 16 bytes when set")

// Config configures enrichment.
type Config struct {
	// VisitorIDSecret keys the daily salt of cookieless visitor ids:
	// salt = HMAC-SHA256(secret, UTC date). Every replica must share it to
	// derive the same id for the same visitor. When empty a random secret is
	// generated at start: ids then differ between replicas and restarts.
	VisitorIDSecret string
	// KeepRawIP keeps client.ip in the event written to Kafka. Off by
	// default: the raw IP is personal data and is only used for the visitor id.
	KeepRawIP bool
}

// DefaultConfig returns the defaults: a random secret, raw IPs dropped.
func DefaultConfig() Config { return Config{} }

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.VisitorIDSecret != "" && len(c.VisitorIDSecret) < 16 {
		return ErrVisitorSecretShort
	}
	return nil
}

// Enricher enriches events. It is safe for concurrent use.
type Enricher struct {
	parser    *useragent.Parser
	secret    []byte
	keepRawIP bool

	mu        sync.Mutex
	saltDay   string
	saltValue []byte

	// Parsing a user agent was 13% of the collector's CPU under load, and
	// real traffic repeats a few thousand agents, so results are cached.
	// The cache is bounded by emptying it when full: simpler than LRU, and a
	// refill costs only the parses a full cache would have saved.
	agentsMu  sync.RWMutex
	agents    map[string]agentInfo
	maxAgents int // maxCachedAgents; smaller in tests
}

// maxCachedAgents bounds the user-agent cache (a few MiB at most).
const maxCachedAgents = 10_000

// agentInfo is what Enrich derives from one user agent string.
type agentInfo struct {
	browser, browserVersion, os, osVersion string
	isBot                                  bool
	deviceClass                            eventv1.DeviceClass
}

// New builds an Enricher. GeneratedSecret reports whether no secret was
// configured and a random one is used.
func New(cfg Config) (e *Enricher, generatedSecret bool, err error) {
	secret := []byte(cfg.VisitorIDSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, false, fmt.Errorf("generate visitor id secret: %w", err)
		}
		generatedSecret = true
	}
	return &Enricher{
		parser:    useragent.NewParser(),
		secret:    secret,
		keepRawIP: cfg.KeepRawIP,
		agents:    make(map[string]agentInfo),
		maxAgents: maxCachedAgents,
	}, generatedSecret, nil
}

// Enrich fills ev.Enrichment (replacing what the client sent), page-derived
// UTM fields and, when ev has no visitor id, a derived one. peerIP is the
// address of the gRPC peer, used when the event carries no client.ip.
// eventIDAssigned and clockClamped come from validation and are recorded.
func (e *Enricher) Enrich(ev *eventv1.Event, peerIP string, receivedAt time.Time, eventIDAssigned, clockClamped bool) {
	e.EnrichWith(ev, Facts{PeerIP: peerIP, ReceivedAt: receivedAt, EventIDAssigned: eventIDAssigned, ClockClamped: clockClamped})
}

// Facts are what the ingest path learnt about an event before enrichment.
type Facts struct {
	// PeerIP is the address of the gRPC peer, used when the event carries no client.ip.
	PeerIP string
	// ReceivedAt picks the day of the visitor id's salt.
	ReceivedAt time.Time
	// EventIDAssigned and ClockClamped come from validation and are recorded.
	EventIDAssigned, ClockClamped bool
	// PageURL and Referrer are page.url and page.referrer as validation
	// parsed them; when nil, Enrich parses the field itself. Parsing each URL
	// once instead of up to three times was a sixth of the collector's CPU.
	PageURL, Referrer *url.URL
}

// EnrichWith is Enrich with everything validation already knows.
func (e *Enricher) EnrichWith(ev *eventv1.Event, f Facts) {
	en := &eventv1.Enrichment{EventIdAssigned: f.EventIDAssigned, ClockClamped: f.ClockClamped}
	ev.Enrichment = en

	userAgent := ev.GetClient().GetUserAgent()
	if userAgent != "" {
		e.describeAgent(userAgent, en)
	}
	if ref := ev.GetPage().GetReferrer(); ref != "" {
		en.ReferrerHost = hostOf(parsed(f.Referrer, ref))
	}
	if pageURL := ev.GetPage().GetUrl(); pageURL != "" {
		fillUTM(ev, parsed(f.PageURL, pageURL))
	}

	ip := ev.GetClient().GetIp()
	if ip == "" {
		ip = f.PeerIP
	}
	if ev.VisitorId == "" {
		ev.VisitorId = e.visitorID(f.ReceivedAt, ev.SiteId, ip, userAgent)
		en.VisitorIdDerived = true
	}
	if !e.keepRawIP && ev.Client != nil {
		ev.Client.Ip = ""
	}
}

// parsed returns u, or raw parsed when u is nil (nil when raw is not a URL).
func parsed(u *url.URL, raw string) *url.URL {
	if u != nil {
		return u
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	return u
}

// visitorID is the cookieless id of (site, ip, user agent) on the UTC day of
// at: HMAC-SHA256 keyed with that day's salt, hex of the first 16 bytes. It
// changes every day, so visitors cannot be followed across days.
func (e *Enricher) visitorID(at time.Time, site, ip, userAgent string) string {
	mac := hmac.New(sha256.New, e.dailySalt(at))
	// NUL separators: no field can run into the next one.
	mac.Write([]byte(site))
	mac.Write([]byte{0})
	mac.Write([]byte(ip))
	mac.Write([]byte{0})
	mac.Write([]byte(userAgent))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// dailySalt is HMAC-SHA256(secret, "YYYY-MM-DD") of the UTC day of at, so
// replicas sharing the secret agree without talking to each other.
func (e *Enricher) dailySalt(at time.Time) []byte {
	day := at.UTC().Format(time.DateOnly)
	e.mu.Lock()
	defer e.mu.Unlock()
	if day != e.saltDay {
		mac := hmac.New(sha256.New, e.secret)
		mac.Write([]byte(day))
		e.saltDay, e.saltValue = day, mac.Sum(nil)
	}
	return e.saltValue
}

func (e *Enricher) describeAgent(userAgent string, en *eventv1.Enrichment) {
	info := e.agent(userAgent)
	en.Browser = info.browser
	en.BrowserVersion = info.browserVersion
	en.Os = info.os
	en.OsVersion = info.osVersion
	en.IsBot = info.isBot
	en.DeviceClass = info.deviceClass
}

// agent returns the cached description of userAgent, parsing it on a miss.
func (e *Enricher) agent(userAgent string) agentInfo {
	e.agentsMu.RLock()
	info, ok := e.agents[userAgent]
	e.agentsMu.RUnlock()
	if ok {
		return info
	}
	info = e.parseAgent(userAgent)
	e.agentsMu.Lock()
	if len(e.agents) >= e.maxAgents {
		clear(e.agents)
	}
	e.agents[userAgent] = info
	e.agentsMu.Unlock()
	return info
}

func (e *Enricher) parseAgent(userAgent string) agentInfo {
	agent := e.parser.Parse(userAgent)
	info := agentInfo{
		browser:        string(agent.Browser()),
		browserVersion: agent.BrowserVersion(),
		os:             string(agent.OS()),
		osVersion:      osVersion(userAgent, agent.OS()),
		isBot:          isAutomated(userAgent, agent.IsBot()),
	}
	switch {
	case info.isBot:
		info.deviceClass = eventv1.DeviceClass_DEVICE_CLASS_BOT
	case agent.IsTablet():
		info.deviceClass = eventv1.DeviceClass_DEVICE_CLASS_TABLET
	case agent.IsMobile():
		info.deviceClass = eventv1.DeviceClass_DEVICE_CLASS_MOBILE
	case agent.IsDesktop():
		info.deviceClass = eventv1.DeviceClass_DEVICE_CLASS_DESKTOP
	default:
		info.deviceClass = eventv1.DeviceClass_DEVICE_CLASS_OTHER
	}
	return info
}

// automationMarkers are substrings (lower case) of the user agents of browser
// automation frameworks that say so but are not in crawlerdetect's list
// (checked against v0.2.28): a test run or a scripted browser, not a visitor.
var automationMarkers = []string{"selenium", "webdriver", "playwright", "puppeteer", "cypress/"}

// crawlerDetectPrefix is how much of a user agent crawlerdetect reads. Its
// one large regular expression costs time in proportion to the input (0.2 ms
// for a 100-byte agent, 1 ms for 256 bytes, 5 ms for 1 KiB, measured on the
// 2-core build machine): the bound keeps a flood of long unique agents from
// costing seconds of CPU per call. Bots name themselves near the start.
const crawlerDetectPrefix = 256

// isAutomated reports a crawler, scanner, monitor, HTTP library or headless
// browser: the parsing library's bot list, then crawlerdetect (a Go port of
// the maintained JayBizzle/Crawler-Detect patterns: sqlmap, nikto, nmap,
// masscan, zgrab, curl, python-requests, Go-http-client, HeadlessChrome,
// PhantomJS, ...; only on a cache miss), then the automation frameworks above.
func isAutomated(userAgent string, parsedAsBot bool) bool {
	if parsedAsBot || crawlerdetect.IsCrawler(userAgent[:min(len(userAgent), crawlerDetectPrefix)]) {
		return true
	}
	lower := strings.ToLower(userAgent)
	for _, m := range automationMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// mayHaveUTM is false when no key of the query string can decode to a
// utm_* name: it names none and escapes nothing. Most page URLs carry no
// campaign, and decoding their query into a map was a tenth of the
// collector's CPU. (Keys are case-sensitive, and '+' decodes to a space,
// which no utm_* name has.)
func mayHaveUTM(rawQuery string) bool {
	return strings.Contains(rawQuery, "utm_") || strings.Contains(rawQuery, "%")
}

var (
	windowsVersion = regexp.MustCompile(`Windows NT (\d+\.\d+)`)
	androidVersion = regexp.MustCompile(`Android (\d+(?:\.\d+){0,2})`)
	iosVersion     = regexp.MustCompile(`(?:iPhone|CPU) OS (\d+(?:_\d+){0,2})`)
	macVersion     = regexp.MustCompile(`Mac OS X (\d+(?:[._]\d+){0,2})`)
	chromeOSVer    = regexp.MustCompile(`CrOS \S+ (\d+(?:\.\d+){0,3})`)
)

// windowsNames maps the NT kernel version a browser reports to the product
// name; Windows 11 still reports NT 10.0.
var windowsNames = map[string]string{
	"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP", "5.2": "XP",
}

// osVersion extracts the OS version the user agent reports, when it does.
// The parsing library names the OS but not its version.
func osVersion(userAgent string, os agents.OS) string {
	switch os {
	case agents.OSWindows:
		if m := windowsVersion.FindStringSubmatch(userAgent); m != nil {
			if name, ok := windowsNames[m[1]]; ok {
				return name
			}
			return "NT " + m[1]
		}
	case agents.OSAndroid:
		if m := androidVersion.FindStringSubmatch(userAgent); m != nil {
			return m[1]
		}
	case agents.OSIOS:
		if m := iosVersion.FindStringSubmatch(userAgent); m != nil {
			return strings.ReplaceAll(m[1], "_", ".")
		}
	case agents.OSMacOS:
		if m := macVersion.FindStringSubmatch(userAgent); m != nil {
			return strings.ReplaceAll(m[1], "_", ".")
		}
	case agents.OSChromeOS:
		if m := chromeOSVer.FindStringSubmatch(userAgent); m != nil {
			return m[1]
		}
	}
	return ""
}

// hostOf returns the lower-case host of a URL without a leading "www."
// ("" for nil).
func hostOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return validUTF8(strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."))
}

// validUTF8 replaces what is not UTF-8 in a value decoded from a URL (an
// escape such as %FF) with U+FFFD: a protobuf string must be valid UTF-8,
// and an event that cannot be encoded failed its whole call.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// fillUTM copies utm_* query parameters of the page URL into the empty UTM fields.
func fillUTM(ev *eventv1.Event, u *url.URL) {
	if u == nil || !mayHaveUTM(u.RawQuery) {
		return
	}
	q := u.Query()
	if q.Get("utm_source") == "" && q.Get("utm_medium") == "" && q.Get("utm_campaign") == "" &&
		q.Get("utm_term") == "" && q.Get("utm_content") == "" {
		return
	}
	if ev.Utm == nil {
		ev.Utm = &eventv1.Utm{}
	}
	for _, f := range []struct {
		param string
		field *string
	}{
		{"utm_source", &ev.Utm.Source}, {"utm_medium", &ev.Utm.Medium}, {"utm_campaign", &ev.Utm.Campaign},
		{"utm_term", &ev.Utm.Term}, {"utm_content", &ev.Utm.Content},
	} {
		if *f.field == "" {
			*f.field = validUTF8(q.Get(f.param))
		}
	}
}
