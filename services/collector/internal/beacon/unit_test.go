package beacon

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClientIPTrustsForwardingHeadersOnlyFromTrustedProxies(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		header     http.Header
		want       string
	}{
		{"no proxy", "203.0.113.9:5555", nil, "203.0.113.9"},
		{"spoofed XFF from an untrusted peer", "203.0.113.9:5555", http.Header{"X-Forwarded-For": {"1.2.3.4"}}, "203.0.113.9"},
		{"XFF from a trusted proxy", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"client-forged prefix is skipped", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.7, 10.9.9.9"}}, "198.51.100.7"},
		{"Forwarded header", "192.0.2.1:80", http.Header{"Forwarded": {`for="[2001:db8::7]:4711";proto=https`}}, "2001:db8::7"},
		{"unreadable hop", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"garbage"}}, "10.1.2.3"},
		{"only proxies", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"10.4.4.4"}}, "10.4.4.4"},
		{"mapped IPv4 peer", "[::ffff:203.0.113.9]:1", nil, "203.0.113.9"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, "/api/event", nil)
		r.RemoteAddr = c.peer
		for k, v := range c.header {
			r.Header[k] = v
		}
		if got := clientIP(r, trusted).String(); got != c.want {
			t.Errorf("%s: client ip %s, want %s", c.name, got, c.want)
		}
	}
}

func TestLimiterRefillsAndStaysBounded(t *testing.T) {
	l := newLimiter(2, 3, 100)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: allowed %v, wait %v; want refused with 500ms", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatal("another key shares the first key's bucket")
	}
	if ok, _ := l.allow("a", now.Add(500*time.Millisecond)); !ok {
		t.Fatal("no token after the refill time")
	}
	for i := range 1000 {
		l.allow(strings.Repeat("k", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), now)
	}
	if n := l.size(); n > 100 {
		t.Fatalf("limiter remembers %d keys, bound is 100", n)
	}
}

func TestDecodeEventAcceptsShortAndLongNamesAndNamesBadFields(t *testing.T) {
	ev, err := decodeEvent([]byte(`{"n":"signup","s":"demo","u":"https://a.example/app/#/settings","r":"https://g.example/",` +
		`"t":"Settings","sw":1280,"sh":800,"l":"de-DE","z":"Europe/Berlin","p":{"plan":"pro","seats":3,"trial":true},"hash":1,"unknown":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "signup" || ev.SiteId != "demo" || ev.Page.Title != "Settings" || ev.Page.Referrer != "https://g.example/" ||
		ev.Client.ScreenWidth != 1280 || ev.Client.ScreenHeight != 800 || ev.Client.Locale != "de-DE" ||
		ev.Client.TimeZone != "Europe/Berlin" || ev.Page.Path != "/app/#/settings" {
		t.Fatalf("decoded %v", ev)
	}
	if p := ev.Properties; p["plan"] != "pro" || p["seats"] != "3" || p["trial"] != "true" {
		t.Fatalf("properties %v", p)
	}
	long, err := decodeEvent([]byte(`{"name":"page_view","site":"demo","url":"https://a.example/x","engaged_ms":1500}`))
	if err != nil || long.DurationUs != 1_500_000 || long.Page.Url != "https://a.example/x" {
		t.Fatalf("long names: %v, %v", long, err)
	}
	for body, field := range map[string]string{
		`not json`:                          "body",
		`{"s":"demo","u":"x"} {}`:           "body",
		`[]`:                                "body",
		`{"u":"https://a.example/"}`:        "site",
		`{"s":"demo"}`:                      "url",
		`{"s":"demo","u":1}`:                "url",
		`{"s":"demo","u":"x","sw":-1}`:      "screen_width",
		`{"s":"demo","u":"x","p":[1]}`:      "props",
		`{"s":"demo","u":"x","p":{"a":{}}}`: "props",
	} {
		_, err := decodeEvent([]byte(body))
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error %v, want one naming %q", body, err, field)
		}
	}
}

func TestParseSitesNormalisesOriginsAndRejectsPaths(t *testing.T) {
	sites, err := ParseSites("demo=http://127.0.0.1:8080, HTTPS://Shop.Example ; blog=https://blog.example")
	if err != nil {
		t.Fatal(err)
	}
	if !sites.Allows("demo", "https://shop.example") || !sites.Allows("demo", "http://127.0.0.1:8080") ||
		sites.Allows("blog", "https://shop.example") || !sites.AnyAllows("https://blog.example") || sites.AnyAllows("null") {
		t.Fatalf("sites %v", sites)
	}
	for _, bad := range []string{"demo", "=https://a.example", "demo=https://a.example/path", "demo=ftp://a.example", "demo=*"} {
		if _, err := ParseSites(bad); !errors.Is(err, ErrSites) {
			t.Errorf("%q: %v, want ErrSites", bad, err)
		}
	}
}

func TestConfigValidateNamesEachError(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.Addr = "nope"
	c.EventPath = "api"
	c.TrustedProxies = "1.2.3"
	c.MaxBodyBytes = 1
	c.IPRate = 0
	c.RateLimitKeys = 0
	err := c.Validate()
	for _, want := range []error{ErrAddr, ErrPath, ErrProxies, ErrMaxBodyBytes, ErrRate, ErrRateKeys} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
}

// maxTrackerGzipBytes is the tracker's size budget (issue 13): 1.5 KB gzipped.
const maxTrackerGzipBytes = 1536

func TestTrackerIsSmallCachedAndNamesTheConfiguredEndpoint(t *testing.T) {
	sc, err := newScript("/t/fp.js", "/t/e")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tracker: %d bytes served, %d bytes gzipped (source %d bytes)", len(sc.Body), len(sc.Gzipped), len(trackerSource))
	if len(sc.Gzipped) > maxTrackerGzipBytes {
		t.Fatalf("tracker is %d bytes gzipped, budget %d", len(sc.Gzipped), maxTrackerGzipBytes)
	}
	if !bytes.Contains(sc.Body, []byte("'/t/e'")) || bytes.Contains(sc.Body, []byte("/api/event")) {
		t.Fatal("served tracker does not name the configured event path")
	}
	if !strings.HasPrefix(sc.versionedPath, "/t/fp.") || !strings.HasSuffix(sc.versionedPath, ".js") {
		t.Fatalf("versioned path %q", sc.versionedPath)
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/t/fp.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	sc.serve(rec, req, false)
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil || !bytes.Equal(plain.Bytes(), sc.Body) {
		t.Fatalf("gzipped answer does not decode to the tracker: %v", err)
	}
	if rec.Header().Get("ETag") == "" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=3600") {
		t.Fatalf("headers %v", rec.Header())
	}

	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "/t/fp.js", nil)
	req.Header.Set("If-None-Match", sc.ETag)
	if sc.serve(rec, req, false); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("revalidation: %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
	rec = httptest.NewRecorder()
	sc.serve(rec, httptest.NewRequest(http.MethodGet, sc.versionedPath, nil), true)
	if !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("versioned path headers %v", rec.Header())
	}
}
