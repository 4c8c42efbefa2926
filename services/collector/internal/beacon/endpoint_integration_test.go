package beacon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/producer"
)

const pageView = `{"n":"page_view","s":"site-a","u":"http://shop.example/pricing?utm_source=news","r":"https://www.google.com/",` +
	`"t":"Pricing","sw":1280,"sh":800,"l":"en-GB","z":"Europe/London"}`

func TestEventIsAcceptedOnlyOnceKafkaHoldsIt(t *testing.T) {
	e := startEndpoint(t, "", nil)
	resp := e.post(t, pageView, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.StatusCode, readBody(t, resp))
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != shopOrigin {
		t.Fatalf("Access-Control-Allow-Origin %q", got)
	}
	// No polling: a 202 means the broker already acknowledged the event.
	evs := e.events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events on the topic right after the 202, want 1", len(evs))
	}
	ev := evs[0]
	if ev.SiteId != "site-a" || ev.Name != "page_view" || ev.Page.Path != "/pricing" || ev.Page.Title != "Pricing" ||
		ev.Page.Referrer != "https://www.google.com/" || ev.Client.ScreenWidth != 1280 || ev.Client.ScreenHeight != 800 ||
		ev.Client.Locale != "en-GB" || ev.Client.TimeZone != "Europe/London" || ev.Client.UserAgent != chromeUA {
		t.Fatalf("event %v", ev)
	}
	if ev.Client.Ip != "" {
		t.Fatalf("client ip %q reached Kafka", ev.Client.Ip)
	}
	en := ev.Enrichment
	if ev.VisitorId == "" || !en.VisitorIdDerived || en.Browser != "Chrome" || en.DeviceClass != eventv1.DeviceClass_DEVICE_CLASS_DESKTOP ||
		!strings.HasSuffix(en.ReferrerHost, "google.com") || ev.Utm.GetSource() != "news" {
		t.Fatalf("enrichment %v, utm %v, visitor %q", en, ev.Utm, ev.VisitorId)
	}
}

func TestNoAcceptUnlessKafkaAcknowledges(t *testing.T) {
	// The broker does not create topics on demand: nothing sent to a missing topic
	// is ever acknowledged, so the endpoint must not answer 202.
	e := startEndpoint(t, "", func(_ *beacon.Config, p *producer.Config) {
		p.Topic = testenv.UniqueName("missing")
		p.AckTimeout = 2 * time.Second
		p.MessageTimeout = 2 * time.Second
	})
	start := time.Now()
	resp := e.post(t, pageView, nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("event Kafka did not acknowledge: status %d, want 503", resp.StatusCode)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("503 after %s: the endpoint did not wait for the acknowledgement", waited)
	}
}

func TestBadRequestsAreRefusedAndNothingIsStored(t *testing.T) {
	e := startEndpoint(t, "", nil)
	cases := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		field   string
	}{
		{"not JSON", `{"s":`, nil, 400, "body"},
		{"wrong type", `{"s":"site-a","u":"http://shop.example/","sw":"wide"}`, nil, 400, "screen_width"},
		{"missing url", `{"s":"site-a"}`, nil, 400, "url"},
		{"validator: event name", `{"n":"Bad Name","s":"site-a","u":"http://shop.example/"}`, nil, 400, "name"},
		{"validator: url", `{"s":"site-a","u":"http://shop.example/` + strings.Repeat("x", 3000) + `"}`, nil, 400, "url"},
		{"oversize", `{"s":"site-a","u":"http://shop.example/","t":"` + strings.Repeat("x", 9000) + `"}`, nil, 413, "body"},
		{"wrong origin", pageView, map[string]string{"Origin": "https://evil.example"}, 403, "Origin"},
		{"origin of another site", `{"s":"site-b","u":"http://shop.example/"}`, nil, 403, "Origin"},
		{"no origin, no referer", pageView, map[string]string{"Origin": ""}, 403, "Origin"},
		{"wrong referer", pageView, map[string]string{"Origin": "", "Referer": "https://evil.example/x"}, 403, "Origin"},
		{"content type", pageView, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type"},
	}
	for _, c := range cases {
		resp := e.post(t, c.body, c.headers)
		var answer struct{ Field, Error string }
		if err := json.Unmarshal([]byte(readBody(t, resp)), &answer); err != nil {
			t.Errorf("%s: body is not JSON: %v", c.name, err)
		}
		if resp.StatusCode != c.status || answer.Field != c.field || answer.Error == "" {
			t.Errorf("%s: %d %+v, want %d naming %q", c.name, resp.StatusCode, answer, c.status, c.field)
		}
		if c.status == 403 && resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS header on a refused origin", c.name)
		}
	}
	// Accepted: application/json, and a Referer standing in for a missing Origin.
	for _, h := range []map[string]string{
		{"Content-Type": "application/json"},
		{"Origin": "", "Referer": shopOrigin + "/pricing"},
	} {
		if resp := e.post(t, pageView, h); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%v: status %d: %s", h, resp.StatusCode, readBody(t, resp))
		}
	}
	if n := len(e.events(t)); n != 2 {
		t.Fatalf("%d events on the topic, want only the 2 accepted", n)
	}
}

func TestPreflightAnswersAllowedOriginsOnly(t *testing.T) {
	e := startEndpoint(t, "", nil)
	for origin, want := range map[string]int{shopOrigin: 204, "https://evil.example": 403} {
		req, _ := http.NewRequest(http.MethodOptions, e.url+"/api/event", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d, want %d", origin, resp.StatusCode, want)
		}
		if want == 204 && (h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Methods") != "POST" ||
			!strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "content-type") || h.Get("Vary") != "Origin") {
			t.Fatalf("%s: headers %v", origin, h)
		}
		if want == 403 && h.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s: CORS header on a refused preflight", origin)
		}
	}
}

func TestRateLimitPerIPIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	e := startEndpointAt(t, "", stoppedClock(), func(c *beacon.Config, _ *producer.Config) {
		c.IPRate, c.IPBurst = 1, 3
	})
	for i := range 3 {
		spoof := map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i+1)}
		if resp := e.post(t, pageView, spoof); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	resp := e.post(t, pageView, map[string]string{"X-Forwarded-For": "198.51.100.99"})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request from the same peer: status %d, want 429", resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// The spoofed header changed nothing: one visitor.
	visitors := map[string]bool{}
	for _, ev := range e.events(t) {
		visitors[ev.VisitorId] = true
	}
	if len(visitors) != 1 {
		t.Fatalf("%d visitor ids from one peer with spoofed X-Forwarded-For, want 1", len(visitors))
	}
}

func TestTrustedProxyForwardedForKeysVisitorsAndLimits(t *testing.T) {
	e := startEndpointAt(t, "", stoppedClock(), func(c *beacon.Config, _ *producer.Config) {
		c.TrustedProxies = "127.0.0.1"
		c.IPRate, c.IPBurst = 1, 1
		c.SiteRate, c.SiteBurst = 1, 3
	})
	for i := range 3 {
		if resp := e.post(t, pageView, map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i+1)}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("client %d behind the proxy: status %d", i, resp.StatusCode)
		}
	}
	if resp := e.post(t, pageView, map[string]string{"X-Forwarded-For": "198.51.100.50"}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("site over its burst: status %d, want 429", resp.StatusCode)
	}
	visitors := map[string]bool{}
	for _, ev := range e.events(t) {
		visitors[ev.VisitorId] = true
	}
	if len(visitors) != 3 {
		t.Fatalf("%d visitor ids for 3 clients behind a trusted proxy, want 3", len(visitors))
	}
}

func TestBotsAreDroppedWithAcceptedStatus(t *testing.T) {
	e := startEndpoint(t, "", nil)
	for _, ua := range []string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
		"Googlebot/2.1 (+http://www.google.com/bot.html)",
		"",
	} {
		resp := e.post(t, pageView, map[string]string{"User-Agent": ua})
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get(beacon.DroppedHeader) != "bot" {
			t.Fatalf("%q: status %d, dropped header %q", ua, resp.StatusCode, resp.Header.Get(beacon.DroppedHeader))
		}
	}
	if resp := e.post(t, pageView, nil); resp.Header.Get(beacon.DroppedHeader) != "" {
		t.Fatal("a browser's event was marked dropped")
	}
	if n := len(e.events(t)); n != 1 {
		t.Fatalf("%d events stored, want only the browser's", n)
	}
}

func TestTrackerIsServedOnRenamedPaths(t *testing.T) {
	e := startEndpoint(t, "", func(c *beacon.Config, _ *producer.Config) {
		c.ScriptPath, c.EventPath = "/assets/fp.js", "/collect"
	})
	versioned := e.beacon.VersionedScriptPath()
	for _, p := range []string{"/assets/fp.js", versioned} {
		resp, err := http.Get(e.url + p)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || !strings.Contains(body, "'/collect'") {
			t.Fatalf("%s: status %d, etag %q", p, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	for _, p := range []string{"/js/footprint.js", "/api/event"} {
		resp, err := http.Get(e.url + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("old path %s still answers %d", p, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/collect", strings.NewReader(pageView))
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("renamed event path: status %d", resp.StatusCode)
	}
}

func TestBothFrontEndsStoreTheSameEvent(t *testing.T) {
	e := startEndpoint(t, "", nil)
	if resp := e.post(t, pageView, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("http: status %d", resp.StatusCode)
	}
	conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+grpcKey)
	_, err = collectorv1.NewCollectorServiceClient(conn).Ingest(ctx, &collectorv1.IngestRequest{Events: []*eventv1.Event{{
		SiteId: "site-a", Name: "page_view",
		Page:   &eventv1.Page{Url: "http://shop.example/pricing?utm_source=news", Referrer: "https://www.google.com/", Title: "Pricing"},
		Client: &eventv1.ClientContext{UserAgent: chromeUA, Locale: "en-GB", TimeZone: "Europe/London", ScreenWidth: 1280, ScreenHeight: 800},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	evs := e.events(t)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	// One pipeline: the same event from the same client comes out the same, visitor id included.
	a, b := evs[0], evs[1]
	if a.VisitorId != b.VisitorId || !proto.Equal(a.Page, b.Page) || !proto.Equal(a.Client, b.Client) ||
		!proto.Equal(a.Enrichment, b.Enrichment) || !proto.Equal(a.Utm, b.Utm) {
		t.Fatalf("the front ends disagree:\n http/grpc %v\n grpc/http %v", a, b)
	}
}

// stoppedClock is a rate-limiter clock that never advances: no token comes
// back while a test's requests are in flight, however slow the machine.
func stoppedClock() func() time.Time {
	at := time.Now()
	return func() time.Time { return at }
}
