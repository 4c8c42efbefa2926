package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/footprint/footprint/internal/testenv"
)

// browserUA is a desktop Chrome on Linux. Headless Chromium says "HeadlessChrome",
// which the collector drops as automation: the test browser poses as a visitor's.
const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// countSends counts the tracker's requests in each page, before any page script runs.
const countSends = `window.__sends = 0;
(function () {
  var f = window.fetch, b = navigator.sendBeacon.bind(navigator);
  window.fetch = function () { window.__sends++; return f.apply(this, arguments); };
  navigator.sendBeacon = function () { window.__sends++; return b.apply(null, arguments); };
})();`

// browserEvent is one stored event as the checks see it.
type browserEvent struct {
	Name, Path, Referrer, Props           string
	ScreenW, ScreenH                      uint64
	Locale, TimeZone, IP, Device, Browser string
	OS                                    string
	DurationUs                            uint64
}

func (e browserEvent) key() string {
	return strings.Join([]string{e.Name, e.Path, e.Referrer, e.Props}, " | ")
}

func TestTrackerInABrowserReachesBothStores(t *testing.T) {
	s := newStack(t)
	sv := newServices(t, s)
	httpAddr := freeAddr(t)
	_, webAddr := startWebapp(t, s, sv, map[string]string{
		"FOOTPRINT_TRACKER_URL": "http://" + httpAddr + "/js/footprint.js",
	})
	web := "http://" + webAddr
	env := sv.collectorEnv()
	env["FOOTPRINT_COLLECTOR_HTTP_ADDR"] = httpAddr
	env["FOOTPRINT_COLLECTOR_BROWSER_SITES"] = s.site + "=" + web
	collector := startProc(t, "collector", bin(t, "collector"), env)
	waitHTTP(t, collector, "http://"+sv.adminAddr+"/readyz", 60*time.Second)
	sv.startWriters()

	ctx := testenv.Browser(t, chromedp.UserAgent(browserUA), chromedp.WindowSize(1280, 800),
		// shop.test is not a local host name, so only navigator.webdriver can stop the tracker there.
		chromedp.Flag("host-resolver-rules", "MAP shop.test 127.0.0.1"))
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(stepCtx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	read := func(js string) string {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	run("install the send counter", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: countSends})
		return err
	}))

	// A production page (no data-allow-local) seen by an automated browser sends nothing.
	run("open the production page", chromedp.Navigate(strings.Replace(web, "127.0.0.1", "shop.test", 1)+"/site/"))
	eval(`history.pushState({}, '', '/site/products'); document.getElementById('signup').click()`)
	if n := read(`String(window.__sends)`); n != "0" {
		t.Fatalf("the tracker sent %s requests from a webdriver browser without data-allow-local", n)
	}

	// The journey on the demo page.
	run("first load", chromedp.Navigate(web+"/app/"))
	if read(`document.visibilityState`) != "visible" {
		t.Fatal("the page is not visible: no engagement would be measured")
	}
	eval(`document.querySelector('a[href="/app/products"]').click()`)
	eval(`document.querySelector('a[href="/app/cart"]').click()`)
	eval(`document.querySelector('a[href="/app/cart"]').click()`) // same path again: not counted
	eval(`document.getElementById('details').click()`)            // hash change
	eval(`history.replaceState({}, '', '/app/checkout')`)
	// Stay on the page for the outbound link and the download: the test only wants the clicks.
	eval(`['outbound', 'download'].forEach(function (id) {
		document.getElementById(id).addEventListener('click', function (e) { e.preventDefault() });
		document.getElementById(id).click();
	})`)
	eval(`document.getElementById('signup').click()`)
	// The counter proves the check of the production page above could see sends.
	if n := read(`String(window.__sends)`); n != "12" {
		t.Fatalf("the tracker sent %s requests for the journey, want 12", n)
	}
	run("reload", chromedp.Reload())
	screen := read(`screen.width + 'x' + screen.height`)
	locale, tz := read(`navigator.language`), read(`Intl.DateTimeFormat().resolvedOptions().timeZone`)
	if cookies := read(`document.cookie`); cookies != "" {
		t.Fatalf("cookies set: %q", cookies)
	}
	if keys := read(`Object.keys(localStorage).join(',')`); keys != "" {
		t.Fatalf("localStorage holds %q", keys)
	}

	app := web + "/app/"
	want := []string{
		"page_view | /app/ |  | {}",
		"engagement | /app/ |  | {}",
		"page_view | /app/products | " + app + " | {}",
		"engagement | /app/products | " + app + " | {}",
		"page_view | /app/cart | " + app + "products | {}",
		"engagement | /app/cart | " + app + "products | {}",
		"page_view | /app/cart#details | " + app + "cart | {}",
		"engagement | /app/cart#details | " + app + "cart | {}",
		"page_view | /app/checkout | " + app + "cart#details | {}",
		`outbound_link | /app/checkout | ` + app + `cart#details | {"url":"https://www.example.org/partner"}`,
		`file_download | /app/checkout | ` + app + `cart#details | {"url":"` + web + `/files/price-list.pdf"}`,
		`signup | /app/checkout | ` + app + `cart#details | {"plan":"pro"}`,
		"engagement | /app/checkout | " + app + "cart#details | {}",
		"page_view | /app/checkout |  | {}",
		// Leaving the reloaded page (for the opt-out check below) ends its engagement.
		"engagement | /app/checkout |  | {}",
	}

	// The opt-out flag: nothing more is sent from this browser.
	eval(`localStorage.setItem('footprint_ignore', 'true')`)
	run("load with the opt-out flag", chromedp.Navigate(web+"/app/"))
	eval(`document.querySelector('a[href="/app/products"]').click(); document.getElementById('signup').click()`)
	if n := read(`String(window.__sends)`); n != "0" {
		t.Fatalf("the tracker sent %s requests despite the opt-out flag", n)
	}
	eval(`localStorage.removeItem('footprint_ignore')`)

	// A last event marks the end: once it is stored, nothing sent before it is still on its way.
	run("load without the opt-out flag", chromedp.Navigate(web+"/app/"))
	eval(`footprint('test_done')`)
	want = append(want, "page_view | /app/ |  | {}", "test_done | /app/ |  | {}")
	waitForCounts(t, s, uint64(len(want)), 90*time.Second)
	pg, ch := readBrowserEvents(t, s)
	slices.Sort(want)
	for store, got := range map[string][]browserEvent{"postgres": pg, "clickhouse": ch} {
		keys := make([]string, len(got))
		var engaged uint64
		for i, e := range got {
			keys[i] = e.key()
			engaged += e.DurationUs
			if fmt.Sprintf("%dx%d", e.ScreenW, e.ScreenH) != screen || e.Locale != locale || e.TimeZone != tz ||
				e.IP != "" || e.Device != "desktop" || e.Browser != "Chrome" || e.OS != "Linux" {
				t.Errorf("%s: %s: client fields %+v, want screen %s, locale %s, time zone %s, no ip, desktop Chrome on Linux",
					store, e.key(), e, screen, locale, tz)
			}
		}
		if engaged == 0 {
			t.Errorf("%s: no engaged time in any engagement event", store)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("%s holds\n  %s\nwant\n  %s", store, strings.Join(keys, "\n  "), strings.Join(want, "\n  "))
		}
	}
}

// readBrowserEvents reads the site's events from both stores.
func readBrowserEvents(t *testing.T, s *stack) (pg, ch []browserEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT name, path, referrer, properties::text, screen_width, screen_height,
		locale, time_zone, ip, device_class, browser, os, duration_us FROM %s.events WHERE site_id = $1`,
		pgx.Identifier{s.pgSchema}.Sanitize()), s.site)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e browserEvent
		var w, h, d int64
		if err := rows.Scan(&e.Name, &e.Path, &e.Referrer, &e.Props, &w, &h, &e.Locale, &e.TimeZone, &e.IP,
			&e.Device, &e.Browser, &e.OS, &d); err != nil {
			t.Fatal(err)
		}
		e.ScreenW, e.ScreenH, e.DurationUs = uint64(w), uint64(h), uint64(d)
		e.Props = normalJSON(t, e.Props)
		pg = append(pg, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	chRowsOf, err := chConn(t, s.chAddr, s.chDB).Query(ctx, `SELECT name, path, referrer, properties_keys, properties_values,
		screen_width, screen_height, locale, time_zone, ip, toString(device_class), browser, os, duration_us
		FROM events FINAL WHERE site_id = ?`, s.site)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = chRowsOf.Close() }()
	for chRowsOf.Next() {
		var e browserEvent
		var keys, values []string
		var w, h uint32
		if err := chRowsOf.Scan(&e.Name, &e.Path, &e.Referrer, &keys, &values, &w, &h, &e.Locale, &e.TimeZone, &e.IP,
			&e.Device, &e.Browser, &e.OS, &e.DurationUs); err != nil {
			t.Fatal(err)
		}
		props := map[string]string{}
		for i, k := range keys {
			props[k] = values[i]
		}
		b, _ := json.Marshal(props)
		e.Props = string(b)
		e.ScreenW, e.ScreenH = uint64(w), uint64(h)
		ch = append(ch, e)
	}
	return pg, ch
}

// normalJSON re-encodes a JSON object with sorted keys and no spaces.
func normalJSON(t *testing.T, s string) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("properties %q: %v", s, err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
