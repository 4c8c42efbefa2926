package e2e

// The dashboard as the browser test sees it: what it reads of the page in
// one evaluation, how it compares that with the API, and the Chromium tab
// that records console errors, failed requests and bytes on the wire.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/footprint/footprint/internal/testenv"
)

// ---- what the page shows --------------------------------------------------

type domNum struct {
	Store, Metric, Text string
	Value               float64
}

func (n domNum) key() string { return fmt.Sprintf("%s/%s=%v", n.Store, n.Metric, n.Value) }

type domRow struct {
	Dimension, Value string
	Nums             []domNum
}

type domTimed struct {
	Stores []string
	Parity []string
}

type domPanel struct {
	ID, Tab string
	Rows    []domRow
	Timed   domTimed
}

type domChip struct{ Dimension, Op, Value string }

type dashTimed struct {
	name  string
	timed domTimed
}

// dashSnapshot is everything the test reads of the page, in one evaluation.
type dashSnapshot struct {
	Search, Store                string
	Status, StoredKey            string
	KeyOpen                      bool
	LocalStorage                 int
	Cards                        []domNum
	Chart                        []domRow
	Panels                       []domPanel
	Tabs                         []string
	Chips                        []domChip
	RealtimeNums                 []domNum
	CardTimings, ChartTimings    domTimed
	ScrollWidth, ViewportWidth   float64
	Overflowing                  []string
	Unlabelled                   []string
	RenderedMs, NavigationMs     float64
	ResourceBytes, ResourceCount float64
}

func (s *dashSnapshot) panel(id string) domPanel {
	for _, p := range s.Panels {
		if p.ID == "panel-"+id {
			return p
		}
	}
	return domPanel{}
}

func (s *dashSnapshot) card(store, metric string) float64 {
	for _, c := range s.Cards {
		if c.Store == store && c.Metric == metric {
			return c.Value
		}
	}
	return -1
}

func (s *dashSnapshot) panelTimings() []dashTimed {
	var out []dashTimed
	for _, p := range s.Panels {
		out = append(out, dashTimed{p.ID, p.Timed})
	}
	return out
}

func (s *dashSnapshot) brief() string {
	return fmt.Sprintf("search=%s store=%s chips=%v tabs=%v numbers=%v", s.Search, s.Store, s.Chips, s.Tabs, numbersOf(s, ""))
}

// numbersOf lists every number on the page (cards, chart, panels) of one
// store ("" for all), without the store's name, for comparisons across
// stores and page loads.
func numbersOf(s *dashSnapshot, store string) []string {
	var out []string
	add := func(where string, nums []domNum) {
		for _, n := range nums {
			if store == "" || n.Store == store {
				out = append(out, fmt.Sprintf("%s %s=%v", where, n.Metric, n.Value))
			}
		}
	}
	add("card", s.Cards)
	for _, r := range s.Chart {
		add("chart "+r.Value, r.Nums)
	}
	for _, p := range s.Panels {
		for _, r := range p.Rows {
			add(p.ID+" "+r.Value, r.Nums)
		}
	}
	return out
}

const snapshotJS = `(() => {
  const nums = (root) => [...root.querySelectorAll('.num')].map((e) => ({
    Store: e.dataset.store, Metric: e.dataset.metric, Value: Number(e.dataset.value), Text: e.textContent }));
  const timed = (root) => ({
    Stores: [...root.querySelectorAll('.took')].map((e) => e.dataset.store),
    Parity: [...root.querySelectorAll('[data-parity]')].map((e) => e.dataset.parity) });
  const nav = performance.getEntriesByType('navigation')[0];
  const rendered = performance.getEntriesByName('dashboard-rendered')[0];
  const res = performance.getEntriesByType('resource');
  return {
    Search: location.search,
    Status: document.querySelector('#status').hidden ? '' : document.querySelector('#status').textContent,
    KeyOpen: document.querySelector('#key-box').open,
    StoredKey: sessionStorage.getItem('footprint.readKey') || '',
    LocalStorage: localStorage.length,
    Store: (document.querySelector('input[name=store]:checked') || {}).value || '',
    Cards: nums(document.querySelector('#cards')),
    CardTimings: timed(document.querySelector('#cards')),
    ChartTimings: timed(document.querySelector('#panel-chart .panel-head')),
    Chart: [...document.querySelectorAll('#chart-table tbody tr')].map((tr) => ({ Value: tr.dataset.bucket, Nums: nums(tr) })),
    Panels: [...document.querySelectorAll('.breakdown')].map((p) => ({
      ID: p.id,
      Tab: (p.querySelector('[role=tab][aria-selected=true]') || {dataset: {}}).dataset.tab || '',
      Rows: [...p.querySelectorAll('.row')].map((r) => ({ Dimension: r.dataset.dimension, Value: r.dataset.value, Nums: nums(r) })),
      Timed: timed(p.querySelector('.panel-head')) })),
    Tabs: [...document.querySelectorAll('[role=tab][aria-selected=true]')].map((e) => e.id),
    Chips: [...document.querySelectorAll('#filters .chip')].map((c) => ({ Dimension: c.dataset.dimension, Op: c.dataset.op, Value: c.dataset.value })),
    RealtimeNums: [...document.querySelectorAll('#realtime-body .rt-count')].flatMap(nums),
    ScrollWidth: document.documentElement.scrollWidth,
    ViewportWidth: document.documentElement.clientWidth,
    Overflowing: [...document.querySelectorAll('body *:not(.sr-only, .sr-only *)')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 10).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')),
    Unlabelled: [...document.querySelectorAll('button, select, input, a, [role=tab]')].filter((e) =>
      !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.labels && e.labels.length) ||
        e.textContent.trim() || e.title)).map((e) => e.outerHTML.slice(0, 120)),
    RenderedMs: rendered ? rendered.startTime : -1,
    NavigationMs: nav ? nav.responseEnd : -1,
    ResourceBytes: res.reduce((s, r) => s + r.transferSize, 0) + (nav ? nav.transferSize : 0),
    ResourceCount: res.length + 1,
  };
})()`

func compareNums(t *testing.T, where string, got, want []domNum) {
	t.Helper()
	key := func(n domNum) string { return n.key() }
	if !slices.Equal(mapSlice(got, key), mapSlice(want, key)) {
		t.Errorf("%s: page shows %v, API says %v", where, mapSlice(got, key), mapSlice(want, key))
	}
	for _, n := range got {
		if !shownAs(n) {
			t.Errorf("%s: %s %s is %v but reads %q", where, n.Store, n.Metric, n.Value, n.Text)
		}
	}
}

// shownAs checks that a count reads as its exact value (thousands separators
// aside); other metrics are formatted (percent, duration) and only checked
// for being there.
func shownAs(n domNum) bool {
	switch n.Metric {
	case "visitors", "visits", "pageviews", "events":
		return strings.ReplaceAll(n.Text, ",", "") == strconv.FormatFloat(n.Value, 'f', -1, 64)
	}
	return strings.TrimSpace(n.Text) != ""
}

func compareRows(t *testing.T, where string, got, want []domRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: page lists %d rows %v, API %d rows %v", where, len(got), rowValues(got), len(want), rowValues(want))
		return
	}
	for i := range got {
		if got[i].Value != want[i].Value || (want[i].Dimension != "" && got[i].Dimension != want[i].Dimension) {
			t.Errorf("%s row %d: page %q (%s), API %q (%s)", where, i, got[i].Value, got[i].Dimension, want[i].Value, want[i].Dimension)
			continue
		}
		compareNums(t, fmt.Sprintf("%s row %q", where, got[i].Value), got[i].Nums, want[i].Nums)
	}
}

func rowValues(rows []domRow) []string {
	return mapSlice(rows, func(r domRow) string { return r.Value })
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// ---- the browser ----------------------------------------------------------

// dashBrowser is one Chromium tab that records console errors, failed
// requests and the bytes each response took on the wire.
type dashBrowser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
	bytes    map[network.ResourceType]int64
	requests map[network.RequestID]network.ResourceType
	renders  int
}

func newDashBrowser(t *testing.T) *dashBrowser {
	t.Helper()
	b := &dashBrowser{t: t, ctx: testenv.Browser(t), bytes: map[network.ResourceType]int64{}, requests: map[network.RequestID]network.ResourceType{}}
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.Type == chromedp.ConsoleError || m.IsException():
				b.problem("console %s", m)
			case m.Type == chromedp.ConsoleWarning:
				t.Logf("browser console %s", m)
			}
		}
	}()
	if err := chromedp.Listen(b.ctx, b.onEvent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return b
}

func (b *dashBrowser) onEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests[e.RequestID] = e.Type
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 {
			b.problems = append(b.problems, fmt.Sprintf("request %s: HTTP %d", e.Response.URL, e.Response.Status))
		}
	case *network.EventLoadingFailed:
		// A fetch the page aborts on purpose (a newer view replaced it) or
		// that a navigation cut off is the client's choice, not a failure.
		if !e.Canceled && e.ErrorText != "net::ERR_ABORTED" {
			b.problems = append(b.problems, fmt.Sprintf("request %s failed: %s", e.RequestID, e.ErrorText))
		}
	case *network.EventLoadingFinished:
		b.bytes[b.requests[e.RequestID]] += int64(e.EncodedDataLength)
	}
}

func (b *dashBrowser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *dashBrowser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *dashBrowser) resize(w, h int64) {
	b.t.Helper()
	b.run("resize", chromedp.EmulateViewport(w, h))
}

// open navigates and, for the dashboard, waits until it is fully rendered.
func (b *dashBrowser) open(u string) {
	b.t.Helper()
	b.mu.Lock()
	clear(b.bytes)
	b.mu.Unlock()
	b.run("navigate "+u, chromedp.Navigate(u))
	b.renders = 0
	if u != "about:blank" {
		b.waitRendered()
	}
}

// act runs actions that change the view and waits for the next full render.
func (b *dashBrowser) act(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.run("act", actions...)
	b.waitRendered()
}

func (b *dashBrowser) waitRendered() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	expr := fmt.Sprintf(`document.body.dataset.state === 'ready' && Number(document.body.dataset.renders) > %d ? Number(document.body.dataset.renders) : 0`, b.renders)
	n, err := chromedp.Run(ctx, chromedp.Poll[int](expr, chromedp.WithPollingTimeout(55*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.t.Fatalf("dashboard did not finish rendering (after render %d): %v; problems so far: %v", b.renders, err, b.problems)
	}
	b.renders = n
}

func (b *dashBrowser) snapshot() *dashSnapshot {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	snap, err := chromedp.Run(ctx, chromedp.Evaluate[*dashSnapshot](snapshotJS))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return snap
}

// logFirstLoad reports the first load's weight and time (not asserted: the
// machine decides the time, and the budget of 250 KB is checked by review).
func (b *dashBrowser) logFirstLoad() {
	b.t.Helper()
	snap := b.snapshot()
	b.mu.Lock()
	defer b.mu.Unlock()
	var total, api int64
	for typ, n := range b.bytes {
		total += n
		if typ == network.ResourceTypeFetch || typ == network.ResourceTypeXHR {
			api += n
		}
	}
	b.t.Logf("first load: %d bytes over the wire (%d static, %d API answers; Resource Timing: %.0f bytes in %.0f requests); "+
		"fully rendered %.0f ms after navigation start (HTML received at %.0f ms)",
		total, total-api, api, snap.ResourceBytes, snap.ResourceCount, snap.RenderedMs, snap.NavigationMs)
}

// pick chooses an option of a select as a user would: the value changes,
// then the change event fires.
func pick(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.SetValue(sel, value), chromedp.Evaluate[chromedp.Void](
		fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event('change'))`, sel)))
}

// checkHover moves the mouse over the chart's last bucket and expects the
// legend to show that bucket's numbers from the chart's data table.
func (b *dashBrowser) checkHover(snap *dashSnapshot) {
	b.t.Helper()
	if len(snap.Chart) == 0 {
		b.t.Error("the chart has no buckets")
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	box, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y, W, H float64 }](
		`(() => { const r = document.querySelector('#chart .u-over').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`))
	if err != nil {
		b.t.Fatalf("chart position: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box.X+box.W-2, box.Y+box.H/2)); err != nil {
		b.t.Fatalf("hover the chart: %v", err)
	}
	last := snap.Chart[len(snap.Chart)-1]
	want := []string{last.Value}
	for _, n := range last.Nums {
		want = append(want, strconv.FormatFloat(n.Value, 'f', -1, 64))
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[[]string](fmt.Sprintf(
		`(() => { const v = [...document.querySelectorAll('#chart .u-legend .u-value')].map((e) => e.textContent.replace(/,/g, ''));
		  return v.length && v[0] !== '' && v[0] !== '--' && v.slice(0, %d).join('|') === %q ? v.slice(0, %d) : null; })()`,
		len(want), strings.Join(want, "|"), len(want)), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#chart .u-legend .u-value')].map((e) => e.textContent)`))
		b.t.Errorf("hovering the last bucket: legend shows %v, want %v (%v)", got, want, err)
	}
}

// checkClean fails the test for every console error or warning and every
// failed request seen during the whole test.
func (b *dashBrowser) checkClean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
}

// screenshots saves desktop.png, dark.png and phone.png of a dashboard view
// into dir; the theme follows the emulated system preference.
func (b *dashBrowser) screenshots(view, dir string) {
	b.t.Helper()
	shots := []struct {
		name          string
		width, height int64
		scheme        string
	}{
		{"desktop.png", 1280, 900, "light"},
		{"dark.png", 1280, 900, "dark"},
		{"phone.png", 390, 844, "light"},
	}
	for _, s := range shots {
		b.resize(s.width, s.height)
		b.setScheme(s.scheme)
		b.open(view)
		if bg := b.background(); (s.scheme == "dark") != isDark(bg) {
			b.t.Errorf("%s: page background %s does not follow the %s system theme", s.name, bg, s.scheme)
		}
		b.screenshot(filepath.Join(dir, s.name), int(s.width))
	}
	b.setScheme("")
}

// setScheme emulates the system's light or dark preference ("" resets).
func (b *dashBrowser) setScheme(scheme string) {
	b.t.Helper()
	params := emulation.SetEmulatedMediaParams{}
	if scheme != "" {
		params.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, params); err != nil {
		b.t.Fatalf("emulate prefers-color-scheme %q: %v", scheme, err)
	}
}

func (b *dashBrowser) background() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if err != nil {
		b.t.Fatalf("read background: %v", err)
	}
	return bg
}

// isDark reads an "rgb(r, g, b)" colour as dark when its channels average
// below the middle.
func isDark(rgb string) bool {
	var r, g, bl int
	if _, err := fmt.Sscanf(rgb, "rgb(%d, %d, %d)", &r, &g, &bl); err != nil {
		return false
	}
	return r+g+bl < 3*128
}

// screenshot saves a PNG of the whole page and checks it decodes at the
// expected width.
func (b *dashBrowser) screenshot(path string, width int) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		b.t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	if got := img.Bounds().Dx(); got != width {
		b.t.Errorf("screenshot %s is %d px wide, want %d", path, got, width)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		b.t.Fatalf("write %s: %v", path, err)
	}
}
