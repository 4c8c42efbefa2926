package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/internal/testenv"
	footprint "github.com/footprint/footprint/sdk"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestDashboardInBrowser loads known events through the real pipeline
// (collector -> Kafka -> both writers), starts the query service binary and
// drives the dashboard it serves in Chromium. Every number on the page must
// be the number the query service's API returns for the same query.
func TestDashboardInBrowser(t *testing.T) {
	// The test's own PostgreSQL schema and ClickHouse database (newStack);
	// the query service reads the ClickHouse one as the default user (see
	// startQueryService).
	s := newStack(t)
	sv := newServices(t, s)
	sv.startWriters()
	sv.startCollector()
	now := time.Now().UTC()
	events := dashboardEvents(now)
	trackAll(t, s, sv, events)
	waitForCounts(t, s, uint64(len(events)), 90*time.Second)

	d := &dashTest{t: t, s: s, q: startQueryService(t, s), b: newDashBrowser(t), view: dashView{site: s.site, store: "postgres"}}
	first := d.firstLoad(now.Sub(events[len(events)-1].OccurredAt.AsTime()))
	filtered := d.filterByClick(first)
	d.history(first, filtered)
	d.pickers()
	d.stores(filtered)
	d.deepLinkAndKeyboard()
	d.phoneAndScreenshots()
	d.divergedStores(now)
	d.b.checkClean()
	checkReadKey(t, d.q)
}

// dashTest is one walk through the dashboard; view is what the page should
// show at each step.
type dashTest struct {
	t    *testing.T
	s    *stack
	q    *queryService
	b    *dashBrowser
	view dashView
}

// firstLoad opens the dashboard, reports its weight and render time (not
// asserted) and checks every number, every tab, the chart's hover and the
// realtime panel (which must count the visitor of realtimeAge ago).
func (d *dashTest) firstLoad(realtimeAge time.Duration) *dashSnapshot {
	t, b := d.t, d.b
	b.resize(1280, 900)
	b.open(d.view.url(d.q.base))
	b.logFirstLoad()
	first := b.snapshot()
	t.Logf("first view: %s", first.brief())
	if len(first.RealtimeNums) != 1 || first.RealtimeNums[0].Value <= 0 {
		t.Errorf("realtime shows %v; the visitor of %s ago should count", first.RealtimeNums, realtimeAge)
	}
	if len(first.Unlabelled) > 0 {
		t.Errorf("controls without a label for screen readers: %v", first.Unlabelled)
	}
	d.q.checkPage(t, b, d.view, first)
	d.q.checkRealtime(t, b, d.view)
	b.checkHover(first)
	d.q.checkAllTabs(t, b, d.view)
	return first
}

// filterByClick: clicking a row filters the dashboard and puts the filter
// in the URL.
func (d *dashTest) filterByClick(first *dashSnapshot) *dashSnapshot {
	t := d.t
	d.b.act(chromedp.Click(`#panel-pages .row[data-value="/pricing"]`))
	d.view.filters = []dashFilter{{op: "is", dimension: "event:page", value: "/pricing"}}
	filtered := d.b.snapshot()
	t.Logf("filtered view: %s", filtered.brief())
	if !strings.Contains(filtered.Search, url.QueryEscape("is|event:page|/pricing")) {
		t.Errorf("URL after the click = %q, want the filter is|event:page|/pricing", filtered.Search)
	}
	if len(filtered.Chips) != 1 || filtered.Chips[0].Value != "/pricing" {
		t.Errorf("filter chips after the click = %+v, want one for /pricing", filtered.Chips)
	}
	d.q.checkPage(t, d.b, d.view, filtered)
	if got, totals := filtered.card("postgres", "visitors"), first.card("postgres", "visitors"); got == totals || got == 0 {
		t.Errorf("visitors with the /pricing filter = %v, unfiltered %v: the filter did not change the numbers", got, totals)
	}
	return filtered
}

// history: back and forward walk the views the URL recorded.
func (d *dashTest) history(first, filtered *dashSnapshot) {
	t := d.t
	d.b.act(chromedp.Evaluate[chromedp.Void](`history.back()`))
	back := d.b.snapshot()
	// (The tabs visited before rewrote that entry's URL with prop=plan.)
	if strings.Contains(back.Search, "f=") || len(back.Chips) != 0 || !slices.Equal(numbersOf(back, ""), numbersOf(first, "")) {
		t.Errorf("back: %s, want the first view %s", back.brief(), first.brief())
	}
	d.b.act(chromedp.Evaluate[chromedp.Void](`history.forward()`))
	if forward := d.b.snapshot(); forward.Search != filtered.Search || !slices.Equal(numbersOf(forward, ""), numbersOf(filtered, "")) {
		t.Errorf("forward: %s, want the filtered view %s", forward.brief(), filtered.brief())
	}
}

// pickers: today is drawn by the hour; a time zone changes the answers.
func (d *dashTest) pickers() {
	t, b := d.t, d.b
	b.act(pick(`#range`, "today"))
	d.view.rangePreset = "today"
	today := b.snapshot()
	if !strings.Contains(today.Search, "range=today") || len(today.Chart) != 24 {
		t.Errorf("after picking today: URL %s, %d chart buckets (want 24 hours)", today.Search, len(today.Chart))
	}
	d.q.checkPage(t, b, d.view, today)
	b.act(pick(`#tz`, "America/New_York"))
	d.view.tz = "America/New_York"
	inNewYork := b.snapshot()
	if !strings.Contains(inNewYork.Search, "tz=America%2FNew_York") {
		t.Errorf("after picking a time zone the URL is %s", inNewYork.Search)
	}
	d.q.checkPage(t, b, d.view, inNewYork)
	b.act(pick(`#tz`, "UTC"))
	d.view.tz = ""

	// A custom range: the two days before yesterday (the v2 visit of two
	// days ago lies in it), by the day.
	day := func(daysAgo int) string { return time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	b.act(pick(`#range`, "custom"))
	b.act(pick(`#from`, day(3)), pick(`#to`, day(2)))
	d.view.from, d.view.to = day(3), day(2)
	custom := b.snapshot()
	if !strings.Contains(custom.Search, "range=custom&from="+day(3)+"&to="+day(2)) || len(custom.Chart) != 2 {
		t.Errorf("custom range: URL %s, %d chart buckets (want 2 days)", custom.Search, len(custom.Chart))
	}
	d.q.checkPage(t, b, d.view, custom)
	b.act(pick(`#range`, "7d"))
	d.view.from, d.view.to, d.view.rangePreset = "", "", ""
}

// stores: switching the store keeps the numbers; Both shows both stores'
// timings in every part, and they agree.
func (d *dashTest) stores(onPostgres *dashSnapshot) {
	t, b := d.t, d.b
	b.act(chromedp.Click(`input[name=store][value=clickhouse]`))
	d.view.store = "clickhouse"
	onClickHouse := b.snapshot()
	d.q.checkPage(t, b, d.view, onClickHouse)
	if !slices.Equal(numbersOf(onPostgres, "postgres"), numbersOf(onClickHouse, "clickhouse")) {
		t.Errorf("numbers changed with the store:\npostgres:   %v\nclickhouse: %v", numbersOf(onPostgres, "postgres"), numbersOf(onClickHouse, "clickhouse"))
	}
	b.act(chromedp.Click(`input[name=store][value=both]`))
	d.view.store = "both"
	both := b.snapshot()
	d.q.checkPage(t, b, d.view, both)
	checkBothStores(t, both)
	d.q.checkRealtime(t, b, d.view)
}

// deepLinkAndKeyboard: a link with filters, store and a tab opens to the
// same view; the keyboard removes the filter.
func (d *dashTest) deepLinkAndKeyboard() {
	t, b := d.t, d.b
	b.act(chromedp.Click(`#tab-devices-os`))
	d.view.tabs = map[string]string{"devices": "os"}
	before := b.snapshot()
	d.q.checkPage(t, b, d.view, before)
	b.open("about:blank")
	b.open(d.q.base + "/" + before.Search)
	after := b.snapshot()
	if after.Search != before.Search || !slices.Equal(after.Chips, before.Chips) || after.Store != before.Store ||
		!slices.Equal(after.Tabs, before.Tabs) || !slices.Equal(numbersOf(after, ""), numbersOf(before, "")) {
		t.Errorf("deep link %s opened a different view:\nbefore: %+v\nafter:  %+v", before.Search, before.brief(), after.brief())
	}
	b.act(chromedp.Focus(`#filters .chip button`), chromedp.KeyEvent("\r"))
	d.view.filters = nil
	unfiltered := b.snapshot()
	if len(unfiltered.Chips) != 0 || strings.Contains(unfiltered.Search, "f=") {
		t.Errorf("after removing the chip by keyboard: chips %v, URL %s", unfiltered.Chips, unfiltered.Search)
	}
	d.q.checkPage(t, b, d.view, unfiltered)
}

// phoneAndScreenshots: at 390 px nothing overflows horizontally. Then the
// screenshots `make screenshots` takes of the demo stack, taken here of the
// test's own so that target cannot silently break (FOOTPRINT_SCREENSHOT_DIR
// keeps them, for example to look at a failure).
func (d *dashTest) phoneAndScreenshots() {
	t, b := d.t, d.b
	b.resize(390, 844)
	b.open(d.view.url(d.q.base))
	phone := b.snapshot()
	if phone.ScrollWidth > phone.ViewportWidth {
		t.Errorf("at %v px the page is %v px wide; overflowing: %v", phone.ViewportWidth, phone.ScrollWidth, phone.Overflowing)
	}
	d.q.checkPage(t, b, d.view, phone)
	dir := os.Getenv("FOOTPRINT_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	b.screenshots(d.view.url(d.q.base), dir)
}

// divergedStores writes one more page view to PostgreSQL only: Both must
// show the stores' different numbers and a mismatch badge that opens to the
// differences.
func (d *dashTest) divergedStores(now time.Time) {
	t, b := d.t, d.b
	pg, _ := openStores(t, d.s)
	extra := &eventv1.Event{EventId: "0190a5d2-7c00-7000-8000-00000000d00d", SiteId: d.s.site, Name: footprint.EventPageView,
		OccurredAt: timestamppb.New(now.Add(-time.Hour)), ReceivedAt: timestamppb.New(now.Add(-time.Hour)),
		VisitorId: "only-in-postgres", Page: &eventv1.Page{Url: "https://example.com/diverged", Path: "/diverged"},
		HttpMethod: http.MethodGet, HttpStatus: 200, Client: &eventv1.ClientContext{UserAgent: uaChromeLinux}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pg.WriteBatch(ctx, []*eventv1.Event{extra}); err != nil {
		t.Fatalf("write an event to postgres only: %v", err)
	}
	b.resize(1280, 900)
	b.open(d.view.url(d.q.base))
	diverged := b.snapshot()
	d.q.checkPage(t, b, d.view, diverged)
	if pgV, chV := diverged.card("postgres", "visitors"), diverged.card("clickhouse", "visitors"); pgV != chV+1 {
		t.Errorf("with one more visitor in postgres the cards show postgres %v, clickhouse %v", pgV, chV)
	}
	if !slices.Equal(diverged.CardTimings.Parity, []string{"mismatch"}) || !slices.Equal(diverged.panel("pages").Timed.Parity, []string{"mismatch"}) {
		t.Errorf("diverged stores: cards badge %v, pages badge %v, want mismatch", diverged.CardTimings.Parity, diverged.panel("pages").Timed.Parity)
	}
	b.run("open the mismatch badge", chromedp.Click(`#cards [data-parity=mismatch] summary`))
	diffs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#cards .diffs li')].map((li) => li.innerText)`))
	if err != nil || len(diffs) == 0 || !strings.Contains(strings.Join(diffs, "\n"), "visitors") {
		t.Errorf("the opened mismatch badge lists %q (%v), want the visitors difference", diffs, err)
	}
}

// checkReadKey opens a site that needs a read key in a fresh browser: the
// page says so and opens the key field; the key typed there opens the
// site, stays in the tab's sessionStorage and never reaches the URL.
func checkReadKey(t *testing.T, q *queryService) {
	t.Helper()
	b := newDashBrowser(t)
	b.resize(1280, 900)
	view := dashView{site: q.privateSite, store: "postgres"}
	b.open(view.url(q.base))
	locked := b.snapshot()
	if !strings.Contains(locked.Status, "read key") || !locked.KeyOpen {
		t.Errorf("without a key: status %q, key field open %v; want a request for a read key", locked.Status, locked.KeyOpen)
	}
	b.act(chromedp.SendKeys(`#key`, q.readKey), chromedp.Click(`#key-save`))
	open := b.snapshot()
	if open.Status != "" || open.StoredKey != q.readKey || open.LocalStorage != 0 || strings.Contains(open.Search, q.readKey) {
		t.Errorf("with the key: status %q, sessionStorage key %q, localStorage items %d, URL %s",
			open.Status, open.StoredKey, open.LocalStorage, open.Search)
	}
	q.withKey().checkPage(t, b, view, open)
	// The only failures allowed are the refusals before the key was given.
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		if !strings.Contains(p, "401") {
			t.Errorf("browser: %s", p)
		}
	}
}

// ---- known events ---------------------------------------------------------

const (
	uaChromeLinux   = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	uaFirefoxWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	uaSafariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaChromeAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
	uaSafariMac     = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)

// step is one event of a scripted visit.
type step struct {
	path, name, method string
	status             uint32
	props              map[string]string
}

func page(path string) step { return step{path: path, method: http.MethodGet, status: 200} }

// dashboardEvents is the test's known traffic: seven visitors with different
// browsers, sources, campaigns, methods, statuses and custom events, one of
// them two days ago and one of them 20 s ago (the realtime panel's visitor).
// Every event lies within the last 7 days in UTC, whenever the test runs.
func dashboardEvents(now time.Time) []*eventv1.Event {
	type visit struct {
		visitor, ua, referrer string
		utm                   *eventv1.Utm
		start                 time.Time
		steps                 []step
	}
	visits := []visit{
		{"v1", uaChromeLinux, "https://www.google.com/search?q=footprint", nil, now.Add(-3 * time.Hour),
			[]step{page("/"), page("/pricing"), {path: "/signup", method: http.MethodPost, status: 303}, page("/welcome")}},
		{"v2", uaFirefoxWin, "", nil, now.Add(-50 * time.Hour),
			[]step{page("/blog/hello"), page("/")}},
		{"v2", uaFirefoxWin, "", nil, now.Add(-150 * time.Minute),
			[]step{page("/blog/hello"), page("/docs")}},
		{"v3", uaSafariIPhone, "https://t.co/AbC", &eventv1.Utm{Source: "twitter", Medium: "social", Campaign: "launch"}, now.Add(-140 * time.Minute),
			[]step{page("/blog/hello"), {path: "/blog/hello", name: "share", props: map[string]string{"network": "twitter"}}}},
		{"v4", uaChromeAndroid, "https://news.ycombinator.com/item?id=1", nil, now.Add(-2 * time.Hour),
			[]step{page("/pricing"), {path: "/pricing", name: "signup", props: map[string]string{"plan": "pro"}}}},
		{"v5", uaFirefoxWin, "", nil, now.Add(-100 * time.Minute),
			[]step{{path: "/docs/missing", method: http.MethodGet, status: 404}}},
		{"v6", uaSafariMac, "", &eventv1.Utm{Source: "newsletter", Medium: "email", Campaign: "autumn"}, now.Add(-90 * time.Minute),
			[]step{page("/"), page("/pricing"), {path: "/pricing", name: "signup", props: map[string]string{"plan": "free"}}}},
		{"v7", uaChromeLinux, "", nil, now.Add(-20 * time.Second), []step{page("/")}},
	}
	var out []*eventv1.Event
	for _, v := range visits {
		for i, st := range v.steps {
			name := st.name
			if name == "" {
				name = footprint.EventPageView
			}
			pageURL := "https://example.com" + st.path
			if v.utm != nil {
				pageURL += fmt.Sprintf("?utm_source=%s&utm_medium=%s&utm_campaign=%s", v.utm.Source, v.utm.Medium, v.utm.Campaign)
			}
			referrer := ""
			if i == 0 {
				referrer = v.referrer
			}
			out = append(out, &eventv1.Event{
				Name:       name,
				OccurredAt: timestamppb.New(v.start.Add(time.Duration(i) * 90 * time.Second)),
				VisitorId:  v.visitor,
				Page:       &eventv1.Page{Url: pageURL, Path: st.path, Referrer: referrer},
				HttpMethod: st.method,
				HttpStatus: st.status,
				Client:     &eventv1.ClientContext{UserAgent: v.ua, Locale: "en-GB"},
				Utm:        proto.Clone(orEmpty(v.utm)).(*eventv1.Utm),
				Properties: st.props,
			})
		}
	}
	return out
}

func orEmpty(u *eventv1.Utm) *eventv1.Utm {
	if u == nil {
		return &eventv1.Utm{}
	}
	return u
}

// trackAll sends the events through the collector with the SDK and waits
// until every one is acknowledged.
func trackAll(t *testing.T, s *stack, sv *services, events []*eventv1.Event) {
	t.Helper()
	client, err := footprint.New(sv.grpcAddr, footprint.WithInsecure(), footprint.WithAPIKey(s.apiKey),
		footprint.WithSiteID(s.site), footprint.WithFlushInterval(20*time.Millisecond), footprint.WithRPCTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("sdk client: %v", err)
	}
	for _, ev := range events {
		if err := client.Track(context.Background(), ev); err != nil {
			t.Fatalf("Track: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if undelivered, err := client.Close(ctx); err != nil || undelivered != 0 {
		t.Fatalf("close sdk client: %d undelivered, %v (stats %+v)", undelivered, err, client.Stats())
	}
	if st := client.Stats(); st.Sent != uint64(len(events)) {
		t.Fatalf("sdk sent %d of %d events (stats %+v)", st.Sent, len(events), st)
	}
}

// ---- the query service ----------------------------------------------------

var (
	queryBuildOnce sync.Once
	queryBinary    string
	queryBuildErr  error
)

// queryService is the query service binary running against the test's
// databases, with the test's site readable without a key.
type queryService struct {
	base   string
	client *http.Client
	// privateSite is readable only with readKey; key is sent when set.
	privateSite, readKey, key string
}

// withKey is the same service, called with the read key.
func (q *queryService) withKey() *queryService {
	c := *q
	c.key = q.readKey
	return &c
}

func startQueryService(t *testing.T, s *stack) *queryService {
	t.Helper()
	queryBuildOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			queryBuildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "footprint-e2e-query-")
		if err != nil {
			queryBuildErr = err
			return
		}
		queryBinary = filepath.Join(dir, "query")
		cmd := exec.Command("go", "build", "-o", queryBinary, ".")
		cmd.Dir = filepath.Join(root, "services", "query")
		if out, err := cmd.CombinedOutput(); err != nil {
			queryBuildErr = fmt.Errorf("go build services/query: %w\n%s", err, out)
		}
	})
	if queryBuildErr != nil {
		t.Fatal(queryBuildErr)
	}
	readerURL := grantPGReader(t, s)
	httpAddr, admin := freeAddr(t), freeAddr(t)
	privateSite, readKey := s.site+"_private", testenv.UniqueName("fp_e2e_read")
	p := startProc(t, "query", queryBinary, map[string]string{
		"FOOTPRINT_QUERY_HTTP_ADDR":   httpAddr,
		"FOOTPRINT_QUERY_GRPC_ADDR":   freeAddr(t),
		"FOOTPRINT_ADMIN_ADDR":        admin,
		"FOOTPRINT_QUERY_PG_URL":      readerURL,
		"FOOTPRINT_QUERY_PG_SCHEMA":   s.pgSchema,
		"FOOTPRINT_QUERY_CH_ADDR":     s.chAddr,
		"FOOTPRINT_QUERY_CH_DATABASE": s.chDB,
		// The stack's read-only role may read only the `footprint`
		// database; the test's own database is read as ClickHouse's
		// default user, whose password is empty (set, not unset).
		"FOOTPRINT_QUERY_CH_USER":      "default",
		"FOOTPRINT_QUERY_CH_PASSWORD":  "",
		"FOOTPRINT_QUERY_PUBLIC_SITES": s.site,
		"FOOTPRINT_QUERY_READ_KEYS":    readKey + "=" + privateSite,
		"FOOTPRINT_LOG_LEVEL":          "debug",
	})
	waitHTTP(t, p, "http://"+admin+"/readyz", 60*time.Second)
	return &queryService{base: "http://" + httpAddr, client: &http.Client{Timeout: 30 * time.Second},
		privateSite: privateSite, readKey: readKey}
}

// The read-only roles the local stack creates (deploy/local/stack.sh); the
// query service connects as nothing else.
const (
	pgReader         = "footprint_reader"
	pgReaderPassword = "footprint_reader"
)

// grantPGReader lets the read-only role read the test's database, as the
// stack does for the real one, and returns the role's URL of it.
func grantPGReader(t *testing.T, s *stack) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.pgURL)
	if err != nil {
		t.Fatalf("postgres connect: %v", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	schema := pgx.Identifier{s.pgSchema}.Sanitize()
	for _, stmt := range []string{
		"GRANT USAGE ON SCHEMA " + schema + " TO " + pgReader,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + pgReader,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	u, err := url.Parse(s.pgURL)
	if err != nil {
		t.Fatalf("parse %s: %v", s.pgURL, err)
	}
	u.User = url.UserPassword(pgReader, pgReaderPassword)
	return u.String()
}

func (q *queryService) post(t *testing.T, path string, req, resp proto.Message) {
	t.Helper()
	body, err := protojson.Marshal(req)
	if err != nil {
		t.Fatalf("marshal %T: %v", req, err)
	}
	httpReq, err := http.NewRequest(http.MethodPost, q.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	httpReq.Header.Set("content-type", "application/json")
	if q.key != "" {
		httpReq.Header.Set("authorization", "Bearer "+q.key)
	}
	r, err := q.client.Do(httpReq)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer func() { _ = r.Body.Close() }()
	out, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %s %s", path, body, r.Status, out)
	}
	if err := protojson.Unmarshal(out, resp); err != nil {
		t.Fatalf("decode %s answer: %v\n%s", path, err, out)
	}
}

func (q *queryService) query(t *testing.T, req *queryv1.QueryRequest) *queryv1.QueryResponse {
	t.Helper()
	resp := &queryv1.QueryResponse{}
	q.post(t, "/api/v1/query", req, resp)
	return resp
}

// ---- the view and what the API says about it ------------------------------

type dashFilter struct{ op, dimension, value string }

// dashView is the dashboard state the test expects the page to show.
type dashView struct {
	site, store string
	rangePreset string // "" is 7d
	from, to    string // a custom range (YYYY-MM-DD), instead of the preset
	tz          string // "" is UTC
	filters     []dashFilter
	tabs        map[string]string // panel id -> tab id, when not the first
}

func (v dashView) url(base string) string {
	p := url.Values{"site": {v.site}, "range": {v.preset()}, "tz": {v.zone()}, "store": {v.store}}
	if v.from != "" {
		p.Set("range", "custom")
		p.Set("from", v.from)
		p.Set("to", v.to)
	}
	for _, f := range v.filters {
		p.Add("f", f.op+"|"+f.dimension+"|"+f.value)
	}
	for panel, tab := range v.tabs {
		p.Set("tab."+panel, tab)
	}
	return base + "/?" + p.Encode()
}

var apiStores = map[string]queryv1.Store{
	"postgres": queryv1.Store_STORE_POSTGRES, "clickhouse": queryv1.Store_STORE_CLICKHOUSE, "both": queryv1.Store_STORE_BOTH,
}

var apiOperators = map[string]queryv1.FilterOperator{
	"is": queryv1.FilterOperator_FILTER_OPERATOR_IS, "is_not": queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT,
}

func (v dashView) zone() string {
	if v.tz == "" {
		return "UTC"
	}
	return v.tz
}

func (v dashView) preset() string {
	if v.rangePreset == "" {
		return "7d"
	}
	return v.rangePreset
}

// timeDimension is the chart's bucket: hours for a single day.
func (v dashView) timeDimension() string {
	if v.from != "" {
		if v.from == v.to {
			return "time:hour"
		}
		return "time:day"
	}
	if v.preset() == "today" || v.preset() == "yesterday" {
		return "time:hour"
	}
	return "time:day"
}

func (v dashView) dateRange() *queryv1.DateRange {
	if v.from != "" {
		return &queryv1.DateRange{From: v.from, To: v.to}
	}
	return &queryv1.DateRange{Preset: v.preset()}
}

func (v dashView) request(metrics ...string) *queryv1.QueryRequest {
	req := &queryv1.QueryRequest{
		SiteId:    v.site,
		DateRange: v.dateRange(),
		TimeZone:  v.zone(),
		Metrics:   metrics,
		Store:     apiStores[v.store],
	}
	for _, f := range v.filters {
		req.Filters = append(req.Filters, &queryv1.Filter{Dimension: f.dimension, Operator: apiOperators[f.op], Values: []string{f.value}})
	}
	return req
}

// dashTab is one tab of a breakdown panel: the UI's contract, written down
// independently of the page's own code.
type dashTab struct {
	id, dimension string
	metrics       []string
	customEvents  bool // leaves page views out
}

var dashPanels = []struct {
	id   string
	tabs []dashTab
}{
	{"pages", []dashTab{{id: "page", dimension: "event:page"}, {id: "entry", dimension: "visit:entry_page"}, {id: "exit", dimension: "visit:exit_page"}}},
	{"sources", []dashTab{{id: "source", dimension: "visit:source"}, {id: "referrer", dimension: "visit:referrer"}}},
	{"utm", []dashTab{{id: "source", dimension: "visit:utm_source"}, {id: "medium", dimension: "visit:utm_medium"}, {id: "campaign", dimension: "visit:utm_campaign"}}},
	{"devices", []dashTab{{id: "browser", dimension: "visit:browser"}, {id: "os", dimension: "visit:os"}, {id: "device", dimension: "visit:device"}}},
	{"http", []dashTab{{id: "method", dimension: "event:http_method"}, {id: "status", dimension: "event:http_status"}}},
	{"events", []dashTab{
		{id: "name", dimension: "event:name", metrics: []string{"visitors", "events", "percentage"}, customEvents: true},
		{id: "props", dimension: "event:props:plan", metrics: []string{"visitors", "events", "percentage"}},
	}},
}

var toplineMetrics = []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"}

func (v dashView) tab(panel string) dashTab {
	for _, p := range dashPanels {
		if p.id != panel {
			continue
		}
		for _, tab := range p.tabs {
			if tab.id == v.tabs[panel] {
				return tab
			}
		}
		return p.tabs[0]
	}
	panic("unknown panel " + panel) // a typo in the test's own table
}

func (v dashView) panelRequest(tab dashTab) *queryv1.QueryRequest {
	metrics := tab.metrics
	if metrics == nil {
		metrics = []string{"visitors", "percentage"}
	}
	req := v.request(metrics...)
	req.Dimensions = []string{tab.dimension}
	req.Limit = 10
	req.Include = &queryv1.Include{TotalRows: true}
	if tab.customEvents && !slices.ContainsFunc(v.filters, func(f dashFilter) bool { return f.dimension == "event:name" }) {
		req.Filters = append(req.Filters, &queryv1.Filter{Dimension: "event:name",
			Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, Values: []string{footprint.EventPageView}})
	}
	return req
}

// checkPage compares every card, the chart's data and every panel's visible
// tab with the API's answers to the same queries.
func (q *queryService) checkPage(t *testing.T, b *dashBrowser, v dashView, snap *dashSnapshot) {
	t.Helper()
	if snap.Store != v.store {
		t.Errorf("store switch shows %q, want %q", snap.Store, v.store)
	}
	top := v.request(toplineMetrics...)
	top.Include = &queryv1.Include{Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}
	resp := q.query(t, top)
	var want []domNum // each card holds every store's value
	for i, m := range toplineMetrics {
		for _, r := range resp.GetResults() {
			var metrics []float64
			if len(r.GetRows()) > 0 {
				metrics = r.GetRows()[0].GetMetrics()
			}
			want = append(want, domNum{Store: storeName(r.GetStore()), Metric: m, Value: at(metrics, i)})
		}
	}
	compareNums(t, "cards", snap.Cards, want)

	series := v.request("visitors", "pageviews")
	series.Dimensions = []string{v.timeDimension()}
	series.Include = &queryv1.Include{TimeLabels: true}
	series.Limit = 10000
	resp = q.query(t, series)
	var chart []domRow
	for i, row := range resp.GetResults()[0].GetRows() {
		r := domRow{Value: row.GetDimensions()[0]}
		for _, res := range resp.GetResults() {
			for m, name := range []string{"visitors", "pageviews"} {
				r.Nums = append(r.Nums, domNum{Store: storeName(res.GetStore()), Metric: name, Value: at(res.GetRows()[i].GetMetrics(), m)})
			}
		}
		chart = append(chart, r)
	}
	compareRows(t, "chart", snap.Chart, chart)

	for _, p := range dashPanels {
		panel := snap.panel(p.id)
		tab := v.tab(p.id)
		if panel.Tab != tab.id {
			t.Errorf("panel %s shows tab %q, want %q", p.id, panel.Tab, tab.id)
			continue
		}
		compareRows(t, "panel "+p.id+"/"+tab.id, panel.Rows, expectedRows(q.query(t, v.panelRequest(tab))))
	}
}

// expectedRows is what a panel must list for an answer: the rows in the
// first store's order, then rows only the second store has, each with every
// store's metrics (percentage is the bar, not a number column).
func expectedRows(resp *queryv1.QueryResponse) []domRow {
	var order []string
	for _, r := range resp.GetResults() {
		for _, row := range r.GetRows() {
			if !slices.Contains(order, row.GetDimensions()[0]) {
				order = append(order, row.GetDimensions()[0])
			}
		}
	}
	var rows []domRow
	for _, value := range order {
		r := domRow{Value: value, Dimension: resp.GetDimensions()[0]}
		for _, res := range resp.GetResults() {
			var metrics []float64
			for _, row := range res.GetRows() {
				if row.GetDimensions()[0] == value {
					metrics = row.GetMetrics()
				}
			}
			for i, m := range resp.GetMetrics() {
				if m != "percentage" {
					r.Nums = append(r.Nums, domNum{Store: storeName(res.GetStore()), Metric: m, Value: at(metrics, i)})
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// checkAllTabs opens every other tab of every panel, compares it with the
// API and returns to the first tab.
func (q *queryService) checkAllTabs(t *testing.T, b *dashBrowser, v dashView) {
	t.Helper()
	for _, p := range dashPanels {
		for _, tab := range p.tabs[1:] {
			b.act(chromedp.Click(fmt.Sprintf("#tab-%s-%s", p.id, tab.id)))
			if tab.dimension == "event:props:plan" {
				b.act(chromedp.SetValue(`#prop-key`, "plan"), chromedp.Click(`.prop-picker button[type=submit]`))
			}
			panel := b.snapshot().panel(p.id)
			if panel.Tab != tab.id {
				t.Errorf("after clicking %s/%s the panel shows tab %q", p.id, tab.id, panel.Tab)
				continue
			}
			want := expectedRows(q.query(t, v.panelRequest(tab)))
			if len(want) == 0 {
				t.Errorf("panel %s/%s: the known events should give rows", p.id, tab.id)
			}
			compareRows(t, "panel "+p.id+"/"+tab.id, panel.Rows, want)
		}
		b.act(chromedp.Click(fmt.Sprintf("#tab-%s-%s", p.id, p.tabs[0].id)))
	}
}

// checkRealtime waits until the realtime panel shows what the API says (it
// refreshes every 10 s, and a visitor may leave the 5-minute window between
// the page's and the test's request).
func (q *queryService) checkRealtime(t *testing.T, b *dashBrowser, v dashView) {
	t.Helper()
	deadline := time.Now().Add(25 * time.Second)
	for {
		resp := &queryv1.RealtimeResponse{}
		q.post(t, "/api/v1/realtime", &queryv1.RealtimeRequest{SiteId: v.site, Store: apiStores[v.store]}, resp)
		var want []domNum
		for _, r := range resp.GetResults() {
			want = append(want, domNum{Store: storeName(r.GetStore()), Metric: "visitors", Value: float64(r.GetVisitors())})
		}
		got := b.snapshot().RealtimeNums
		if slices.EqualFunc(got, want, func(a, b domNum) bool { return a.key() == b.key() }) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("realtime panel shows %v, the API says %v", got, want)
			return
		}
		time.Sleep(500 * time.Millisecond) // polling interval
	}
}

func checkBothStores(t *testing.T, snap *dashSnapshot) {
	t.Helper()
	parts := append([]dashTimed{{"cards", snap.CardTimings}, {"chart", snap.ChartTimings}}, snap.panelTimings()...)
	for _, p := range parts {
		if !slices.Equal(p.timed.Stores, []string{"postgres", "clickhouse"}) {
			t.Errorf("%s shows timings of %v, want postgres and clickhouse", p.name, p.timed.Stores)
		}
		if !slices.Equal(p.timed.Parity, []string{"match"}) {
			t.Errorf("%s parity badge %v, want one 'match'", p.name, p.timed.Parity)
		}
	}
}

func storeName(s queryv1.Store) string {
	switch s {
	case queryv1.Store_STORE_CLICKHOUSE:
		return "clickhouse"
	case queryv1.Store_STORE_BOTH:
		return "both"
	}
	return "postgres"
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}
