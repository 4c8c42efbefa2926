package dashboards

import (
	"math/rand/v2"
	"strconv"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// The data set's shape: the shares below are rounded from public web-traffic
// statistics (StatCounter global shares 2024 for devices, browsers and
// operating systems; typical analytics dashboards for the referrer mix), so
// every dashboard panel has a realistic head and long tail.

// weighted is a value with its share.
type weighted[T any] struct {
	v T
	w float64
}

// picker draws values by weight from a cumulative table.
type picker[T any] struct {
	vals []T
	cum  []float64
}

func newPicker[T any](ws []weighted[T]) picker[T] {
	p := picker[T]{}
	total := 0.0
	for _, x := range ws {
		total += x.w
	}
	acc := 0.0
	for _, x := range ws {
		acc += x.w / total
		p.vals = append(p.vals, x.v)
		p.cum = append(p.cum, acc)
	}
	p.cum[len(p.cum)-1] = 1
	return p
}

func (p picker[T]) pick(r *rand.Rand) T { return p.at(r.Float64()) }

// at returns the value whose cumulative share first exceeds u in [0, 1).
func (p picker[T]) at(u float64) T {
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if u < p.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return p.vals[lo]
}

// client is one browser/OS/device profile and the user agent it sends.
type client struct {
	ua       string
	enrich   *eventv1.Enrichment
	locale   string
	screen   [2]uint32
	timeZone string
}

func en(browser, bver, os, osver string, dc eventv1.DeviceClass) *eventv1.Enrichment {
	return &eventv1.Enrichment{Browser: browser, BrowserVersion: bver, Os: os, OsVersion: osver, DeviceClass: dc}
}

const (
	desktop = eventv1.DeviceClass_DEVICE_CLASS_DESKTOP
	mobile  = eventv1.DeviceClass_DEVICE_CLASS_MOBILE
	tablet  = eventv1.DeviceClass_DEVICE_CLASS_TABLET
)

// clients: about 58% mobile, 39% desktop, 3% tablet; Chrome ~64%, Safari
// ~19%, Edge ~5%, Firefox ~3%, Samsung Internet ~3%, Opera ~2%.
var clients = newPicker([]weighted[client]{
	{client{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", en("Chrome Mobile", "126.0.0.0", "Android", "14", mobile), "en-US", [2]uint32{412, 915}, "America/New_York"}, 30},
	{client{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", en("Mobile Safari", "17.5", "iOS", "17.5", mobile), "en-US", [2]uint32{390, 844}, "America/Los_Angeles"}, 18},
	{client{"Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", en("Samsung Internet", "25.0", "Android", "14", mobile), "de-DE", [2]uint32{384, 832}, "Europe/Berlin"}, 3},
	{client{"Mozilla/5.0 (Linux; Android 13; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 OPR/82.0", en("Opera Mobile", "82.0", "Android", "13", mobile), "pt-BR", [2]uint32{393, 873}, "America/Sao_Paulo"}, 2},
	{client{"Mozilla/5.0 (Linux; Android 12; moto g) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", en("Chrome Mobile", "124.0.0.0", "Android", "12", mobile), "es-ES", [2]uint32{360, 800}, "Europe/Madrid"}, 5},
	{client{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", en("Chrome", "126.0.0.0", "Windows", "10", desktop), "en-GB", [2]uint32{1920, 1080}, "Europe/London"}, 20},
	{client{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", en("Edge", "126.0.0.0", "Windows", "10", desktop), "en-US", [2]uint32{1536, 864}, "America/Chicago"}, 5},
	{client{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", en("Chrome", "126.0.0.0", "macOS", "10.15.7", desktop), "en-US", [2]uint32{1440, 900}, "America/New_York"}, 6},
	{client{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", en("Safari", "17.5", "macOS", "10.15.7", desktop), "fr-FR", [2]uint32{1512, 982}, "Europe/Paris"}, 4},
	{client{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", en("Firefox", "127.0", "Windows", "10", desktop), "de-DE", [2]uint32{1920, 1080}, "Europe/Berlin"}, 2},
	{client{"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", en("Firefox", "127.0", "Linux", "", desktop), "en-US", [2]uint32{2560, 1440}, "UTC"}, 1},
	{client{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", en("Chrome", "126.0.0.0", "Chrome OS", "14541.0.0", desktop), "en-US", [2]uint32{1366, 768}, "America/Denver"}, 1},
	{client{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", en("Mobile Safari", "17.5", "iOS", "17.5", tablet), "ja-JP", [2]uint32{820, 1180}, "Asia/Tokyo"}, 2},
	{client{"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", en("Chrome", "126.0.0.0", "Android", "13", tablet), "en-IN", [2]uint32{800, 1280}, "Asia/Kolkata"}, 1},
})

// bots: crawlers and monitors the collector flags from the user agent.
var bots = newPicker([]weighted[client]{
	{client{ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", enrich: botEnrich("Googlebot", "2.1")}, 5},
	{client{ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", enrich: botEnrich("Bingbot", "2.0")}, 3},
	{client{ua: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", enrich: botEnrich("AhrefsBot", "7.0")}, 1},
	{client{ua: "UptimeRobot/2.0; http://www.uptimerobot.com/", enrich: botEnrich("UptimeRobot", "2.0")}, 1},
})

func botEnrich(name, ver string) *eventv1.Enrichment {
	return &eventv1.Enrichment{Browser: name, BrowserVersion: ver, DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_BOT, IsBot: true}
}

// referrers: where visits come from (the entry event's referrer). Empty is
// direct; "other" draws from a long tail of small sites.
var referrers = newPicker([]weighted[string]{
	{"", 40},
	{"https://www.google.com/", 28},
	{"https://www.bing.com/", 4},
	{"https://duckduckgo.com/", 2},
	{"https://t.co/", 3},
	{"https://www.facebook.com/", 3},
	{"https://www.reddit.com/r/programming/", 2},
	{"https://www.linkedin.com/feed/", 2},
	{"https://news.ycombinator.com/", 2},
	{"https://github.com/", 2},
	{"other", 12},
})

// otherReferrers is the long tail behind "other".
const otherReferrers = 2000

// utms: about 12% of visits arrive from a tagged campaign link.
type utm struct{ source, medium, campaign string }

var utms = newPicker([]weighted[utm]{
	{utm{}, 88},
	{utm{"newsletter", "email", "weekly_digest"}, 4},
	{utm{"newsletter", "email", "product_launch"}, 1.5},
	{utm{"google", "cpc", "brand"}, 2},
	{utm{"google", "cpc", "generic"}, 1},
	{utm{"twitter", "social", "product_launch"}, 1},
	{utm{"facebook", "social", "retargeting"}, 1},
	{utm{"partner", "referral", "affiliate"}, 1},
	{utm{"linkedin", "social", "hiring"}, 0.5},
})

// customEvents: names of the 3% custom events and the property they carry.
var customEvents = newPicker([]weighted[string]{
	{"signup", 2}, {"add_to_cart", 4}, {"search", 5}, {"download", 2}, {"outbound_click", 3},
})

// plans is the value of the `plan` property (the properties tab's key).
var plans = newPicker([]weighted[string]{{"free", 6}, {"pro", 3}, {"team", 1}})

// httpStatuses are the statuses a server-side middleware records.
var httpStatuses = newPicker([]weighted[uint32]{{200, 90}, {304, 5}, {301, 1.5}, {404, 3}, {500, 0.5}})

// hourWeights is traffic per UTC hour: a night trough and an afternoon peak
// (a mostly European and American audience).
var hourWeights = [24]float64{
	1.6, 1.2, 1.0, 0.9, 0.9, 1.1, 1.6, 2.4, 3.4, 4.2, 4.7, 5.0,
	5.2, 5.6, 6.0, 6.2, 6.1, 5.8, 5.4, 5.0, 4.4, 3.6, 2.8, 2.1,
}

// weekdayWeights is traffic per weekday, Sunday first: weekends are quieter.
var weekdayWeights = [7]float64{0.65, 1.05, 1.1, 1.1, 1.05, 0.95, 0.7}

// pageName is the path of the page of Zipf rank i (0 is the most viewed).
func pageName(i int) string {
	switch i {
	case 0:
		return "/"
	case 1:
		return "/pricing"
	case 2:
		return "/blog"
	case 3:
		return "/docs/getting-started"
	case 4:
		return "/about"
	}
	sections := [...]string{"/blog/", "/docs/", "/products/", "/help/"}
	return sections[i%len(sections)] + "p" + strconv.Itoa(i)
}
