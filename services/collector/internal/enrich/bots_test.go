package enrich

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

func TestBotsFlagged(t *testing.T) {
	e := newEnricher(t, Config{VisitorIDSecret: "0123456789abcdef"})
	for _, tc := range []struct {
		ua  string
		bot bool
	}{
		// Scanners.
		{"sqlmap/1.7#stable (https://sqlmap.org)", true},
		{"sqlmap/1.7", true},
		{"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)", true},
		{"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", true},
		{"masscan/1.3 (https://github.com/robertdavidgraham/masscan)", true},
		{"Mozilla/5.0 zgrab/0.x", true},
		// HTTP libraries and command-line clients.
		{"curl/8.5.0", true},
		{"Wget/1.21.4", true},
		{"python-requests/2.31.0", true},
		{"Python-urllib/3.11", true},
		{"Go-http-client/1.1", true},
		{"Go-http-client/2.0", true},
		{"okhttp/4.12.0", true},
		{"axios/1.6.2", true},
		{"Apache-HttpClient/4.5.14 (Java/17.0.9)", true},
		// Headless and automated browsers.
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36", true},
		{"Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Selenium/4.16", true},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Playwright/1.40.0", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 puppeteer", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Cypress/13.6.0", true},
		// Crawlers and monitors.
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true},
		{"Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", true},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		// Real browsers: never bots.
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", false},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", false},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36", false},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0", false},
		// A phone brand whose name contains "bot" (the old substring list flagged it).
		{"Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", false},
	} {
		ev := &eventv1.Event{SiteId: "s", VisitorId: "v", Client: &eventv1.ClientContext{UserAgent: tc.ua}}
		e.Enrich(ev, "", day1, false, false)
		isBotClass := ev.Enrichment.DeviceClass == eventv1.DeviceClass_DEVICE_CLASS_BOT
		if ev.Enrichment.IsBot != tc.bot || isBotClass != tc.bot {
			t.Errorf("%s: is_bot %v, device class %v; want bot=%v", tc.ua, ev.Enrichment.IsBot, ev.Enrichment.DeviceClass, tc.bot)
		}
	}
}

// TestEnrichedEventsAreStorable: whatever the collector accepts, enriched,
// passes the writers' check (eventcheck's MaxStoredEventBytes leaves room
// for what enrichment adds), so no acknowledged event is dead-lettered.
func TestEnrichedEventsAreStorable(t *testing.T) {
	cfg := validate.DefaultConfig()
	v, err := validate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stores, err := eventcheck.New(eventcheck.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnricher(t, Config{VisitorIDSecret: "0123456789abcdef"})
	// Every string at its limit, the URL's query full of UTM parameters, and
	// properties filling the rest of MaxEventBytes.
	query := "?utm_source=" + strings.Repeat("s", 300) + "&utm_medium=" + strings.Repeat("m", 300) +
		"&utm_campaign=" + strings.Repeat("c", 300) + "&utm_term=" + strings.Repeat("t", 300) + "&utm_content="
	pageURL := "https://example.com/" + strings.Repeat("p", 200) + query
	pageURL += strings.Repeat("x", cfg.MaxURLLength-len(pageURL))
	referrer := "https://" + strings.Repeat("r", 200) + ".example/"
	referrer += strings.Repeat("y", cfg.MaxURLLength-len(referrer))
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126." +
		strings.Repeat("1", cfg.MaxStringLength-110) + " Safari/537.36"
	ev := &eventv1.Event{
		SiteId: "s", Name: "page_view", OccurredAt: timestamppb.New(day1),
		Page:       &eventv1.Page{Url: pageURL, Referrer: referrer, Title: strings.Repeat("t", cfg.MaxStringLength)},
		Client:     &eventv1.ClientContext{UserAgent: ua[:min(len(ua), cfg.MaxStringLength)], Locale: "en"},
		Properties: map[string]string{},
	}
	for i := 0; proto.Size(ev)+cfg.MaxPropertyValueLength+80 < cfg.MaxEventBytes && i < cfg.MaxProperties; i++ {
		ev.Properties[strings.Repeat("k", 1+i%60)+string(rune('a'+i%26))] = strings.Repeat("v", cfg.MaxPropertyValueLength)
	}
	received := proto.Size(ev)
	if _, rej := v.Prepare(ev, day1); rej != nil {
		t.Fatalf("collector rejected the test event: %v", rej)
	}
	e.Enrich(ev, "192.0.2.1", day1, false, false)
	if ev.GetPage().GetPath() == "" || ev.GetUtm().GetSource() == "" || ev.GetEnrichment().GetReferrerHost() == "" {
		t.Fatalf("enrichment did not derive path, UTM and referrer host: %v", ev.GetUtm())
	}
	t.Logf("received %d bytes (limit %d), enriched %d bytes (stored limit %d)",
		received, cfg.MaxEventBytes, proto.Size(ev), cfg.MaxStoredEventBytes())
	if err := stores.Storable(ev); err != nil {
		t.Fatalf("an accepted, enriched event is not storable: %v", err)
	}
}

// TestAcceptedEventsAreStorable: random events with fields around every
// limit; each one the collector accepts must, once enriched, pass the
// writers' check. Fixed seed: a failure reproduces.
func TestAcceptedEventsAreStorable(t *testing.T) {
	cfg := validate.DefaultConfig()
	v, err := validate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stores, err := eventcheck.New(eventcheck.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnricher(t, Config{VisitorIDSecret: "0123456789abcdef"})
	rng := rand.New(rand.NewPCG(9, 9))
	around := func(limit int) string { // empty, short, at the limit, now and then just over
		n := [...]int{0, 1 + rng.IntN(8), limit, limit, limit, limit, limit, limit + 1}[rng.IntN(8)]
		if n > limit && rng.IntN(4) > 0 {
			n = limit
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	}
	accepted := 0
	for range 3000 {
		ev := &eventv1.Event{
			SiteId: "s" + around(cfg.MaxIDLength-1), Name: []string{"", "page_view", "Bad Name", "x" + around(63)}[rng.IntN(4)],
			VisitorId: around(cfg.MaxIDLength), UserId: around(cfg.MaxIDLength), SessionId: around(cfg.MaxIDLength),
			OccurredAt: timestamppb.New(day1.Add(time.Duration(rng.IntN(3)-1) * 24 * time.Hour * time.Duration(rng.IntN(40)))),
			Page: &eventv1.Page{
				Url:      "https://example.com/" + around(cfg.MaxURLLength-20) + "?utm_source=" + around(50),
				Path:     []string{"", "/" + around(cfg.MaxURLLength-1)}[rng.IntN(2)],
				Title:    around(cfg.MaxStringLength),
				Referrer: []string{"", "https://r.example/" + around(cfg.MaxURLLength-18)}[rng.IntN(2)],
			},
			Client:     &eventv1.ClientContext{UserAgent: around(cfg.MaxStringLength), Locale: around(cfg.MaxStringLength), Ip: "192.0.2.7"},
			Utm:        &eventv1.Utm{Campaign: around(cfg.MaxStringLength)},
			Properties: map[string]string{around(cfg.MaxPropertyKeyLength): around(cfg.MaxPropertyValueLength)},
		}
		if _, rej := v.Prepare(ev, day1); rej != nil {
			continue
		}
		accepted++
		e.Enrich(ev, "192.0.2.8", day1, false, false)
		if err := stores.Storable(ev); err != nil {
			t.Fatalf("accepted but not storable: %v", err)
		}
	}
	if accepted < 50 {
		t.Fatalf("only %d of 3000 random events accepted: the generator tests nothing", accepted)
	}
	t.Logf("%d of 3000 random events accepted, all storable", accepted)
}
