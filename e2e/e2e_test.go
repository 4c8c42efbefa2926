// Package e2e runs the real binaries (collector, pg-writer, ch-writer and
// the SDK's example web app) as subprocesses against the real stack and
// checks what lands in PostgreSQL and ClickHouse.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	footprint "github.com/footprint/footprint/sdk"
)

// request is one request the test makes to the web app.
type request struct {
	method, path, referrer string
	record                 bool // the middleware records it
}

func webappRequests(n int) []request {
	paths := []string{"/", "/blog/", "/blog/hello-world", "/blog/kafka-sinks?utm_source=twitter&utm_medium=social",
		"/pricing", "/signup", "/blog/no-such-post"}
	referrers := []string{"", "https://www.google.com/search?q=footprint", "https://t.co/xyz",
		"https://news.ycombinator.com/item?id=1"}
	var out []request
	for i := 0; len(out) < n; i++ {
		r := request{method: http.MethodGet, path: paths[i%len(paths)], referrer: referrers[i%len(referrers)], record: true}
		switch {
		case i%9 == 4:
			r.method, r.path = http.MethodPost, "/signup"
		case i%7 == 3:
			r.method = http.MethodHead
		}
		out = append(out, r)
	}
	// Requests the middleware must skip, interleaved with the page views.
	var mixed []request
	for i, r := range out {
		mixed = append(mixed, r)
		if i%10 == 0 {
			mixed = append(mixed, request{method: http.MethodGet, path: "/healthz"},
				request{method: http.MethodGet, path: "/static/style.css"})
		}
	}
	return mixed
}

// TestWebappPageViewsReachBothStores: N requests to the example web app
// become exactly N page_view events in PostgreSQL and in ClickHouse, with
// method, path, referrer and status intact.
func TestWebappPageViewsReachBothStores(t *testing.T) {
	const n = 60
	s := newStack(t)
	sv := newServices(t, s)
	sv.startWriters()
	sv.startCollector()

	web, webAddr := startWebapp(t, s, sv, map[string]string{"FOOTPRINT_FLUSH_INTERVAL": "100ms"})

	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	want := map[string]int{}
	recorded := 0
	for _, r := range webappRequests(n) {
		var body io.Reader
		if r.method == http.MethodPost {
			body = strings.NewReader(url.Values{"email": {"e2e@example.com"}}.Encode())
		}
		req, err := http.NewRequest(r.method, "http://"+webAddr+r.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if r.referrer != "" {
			req.Header.Set("Referer", r.referrer)
		}
		req.Header.Set("User-Agent", "footprint-e2e/1.0 (Mozilla/5.0 compatible)")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s: %s", r.method, r.path, resp.Status)
		}
		if r.record {
			recorded++
			path, _, _ := strings.Cut(r.path, "?")
			want[row{Method: r.method, Path: path, Referrer: r.referrer, Status: uint32(resp.StatusCode)}.key()]++
		}
	}
	if recorded != n {
		t.Fatalf("made %d recorded requests, want %d", recorded, n)
	}

	// SIGTERM makes the web app close its SDK client, which flushes; exit
	// status 0 means every event was acknowledged by the collector.
	if err := web.Stop(30 * time.Second); err != nil {
		t.Fatalf("webapp did not shut down cleanly: %v", err)
	}

	pgc, chc := waitForCounts(t, s, n, 90*time.Second)
	if pgc.rows != n || pgc.distinct != n {
		t.Errorf("postgres holds %d rows / %d distinct events, want exactly %d", pgc.rows, pgc.distinct, n)
	}
	if chc.rows != n || chc.distinct != n {
		t.Errorf("clickhouse (FINAL) holds %d rows / %d distinct events, want exactly %d", chc.rows, chc.distinct, n)
	}
	pgRows, chRows := readRows(t, s)
	t.Logf("%d page views requested; postgres holds %d, clickhouse %d (%d distinct method/path/referrer/status combinations)",
		n, len(pgRows), len(chRows), len(want))
	for store, rows := range map[string][]row{"postgres": pgRows, "clickhouse": chRows} {
		got := map[string]int{}
		for _, r := range rows {
			got[r.key()]++
		}
		if diff := diffCounts(want, got); diff != "" {
			t.Errorf("%s page views differ from the requests (method path referrer status: want/got):\n%s", store, diff)
		}
	}
}

func diffCounts(want, got map[string]int) string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var lines []string
	for k := range keys {
		if want[k] != got[k] {
			lines = append(lines, fmt.Sprintf("  %q: %d/%d", k, want[k], got[k]))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestCollectorRestartDuringRun: the SDK keeps tracking while the collector
// is killed and started again; after Close every tracked event is stored
// exactly once in both stores.
func TestCollectorRestartDuringRun(t *testing.T) {
	const perPhase = 200
	s := newStack(t)
	sv := newServices(t, s)
	sv.startWriters()
	collector := sv.startCollector()

	client, err := footprint.New(sv.grpcAddr,
		footprint.WithInsecure(),
		footprint.WithAPIKey(s.apiKey),
		footprint.WithSiteID(s.site),
		footprint.WithBatchSize(25),
		footprint.WithFlushInterval(20*time.Millisecond),
		footprint.WithQueueSize(10*perPhase),
		footprint.WithBackoff(50*time.Millisecond, time.Second),
		footprint.WithRPCTimeout(5*time.Second),
		footprint.WithMaxRetries(-1), // retry until Close's deadline
	)
	if err != nil {
		t.Fatal(err)
	}
	var tracked []string
	trackPhase := func(phase int) {
		for i := range perPhase {
			ev := &eventv1.Event{
				Name:       "page_view",
				Page:       &eventv1.Page{Url: fmt.Sprintf("https://e2e.example/phase%d/%d", phase, i), Path: fmt.Sprintf("/phase%d/%d", phase, i)},
				HttpMethod: http.MethodGet,
				VisitorId:  fmt.Sprintf("visitor-%d", i%13),
			}
			if err := client.Track(context.Background(), ev); err != nil {
				t.Fatalf("Track: %v", err)
			}
			tracked = append(tracked, ev.GetEventId())
		}
	}
	pollStats := func(what string, cond func(footprint.Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond(client.Stats()) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: stats %+v", what, client.Stats())
			}
			time.Sleep(20 * time.Millisecond) // polling interval
		}
	}

	// Phase 1: the collector is up; wait until part of it is acknowledged.
	trackPhase(1)
	pollStats("first acknowledgements", func(st footprint.Stats) bool { return st.Sent > 0 })

	// Phase 2: the collector dies without warning (in-flight calls may
	// have reached Kafka without an answer); the SDK must retry.
	collector.Kill()
	trackPhase(2)
	retriesBefore := client.Stats().Retries
	pollStats("retries while the collector is down", func(st footprint.Stats) bool { return st.Retries > retriesBefore })

	// Phase 3: a new collector on the same address; tracking continues.
	sv.startCollector()
	trackPhase(3)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	undelivered, err := client.Close(ctx)
	st := client.Stats()
	if undelivered != 0 || err != nil {
		t.Fatalf("Close = %d undelivered, %v (stats %+v)", undelivered, err, st)
	}
	total := uint64(3 * perPhase)
	if st.Tracked != total || st.Sent != total || st.Dropped != 0 || st.Failed != 0 || st.Rejected != 0 {
		t.Fatalf("stats %+v, want %d tracked and sent, nothing dropped, failed or rejected", st, total)
	}
	t.Logf("SDK stats after Close: %+v", st)

	pgc, chc := waitForCounts(t, s, total, 90*time.Second)
	if pgc.rows != total || pgc.distinct != total {
		t.Errorf("postgres holds %d rows / %d distinct events, want exactly %d", pgc.rows, pgc.distinct, total)
	}
	if chc.rows != total || chc.distinct != total {
		t.Errorf("clickhouse (FINAL) holds %d rows / %d distinct events, want exactly %d", chc.rows, chc.distinct, total)
	}
	pgRows, chRows := readRows(t, s)
	t.Logf("%d events tracked; postgres holds %d, clickhouse %d", total, len(pgRows), len(chRows))
	slices.Sort(tracked)
	for store, rows := range map[string][]row{"postgres": pgRows, "clickhouse": chRows} {
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.EventID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, tracked) {
			t.Errorf("%s event ids differ from the tracked ids (%d stored, %d tracked)", store, len(ids), len(tracked))
		}
	}
}

// TestDemoTraffic runs what `make run` runs: the example web app and the
// demotraffic driver. Both stores must hold exactly the page views
// demotraffic reports, per HTTP method.
func TestDemoTraffic(t *testing.T) {
	const n = 300
	s := newStack(t)
	sv := newServices(t, s)
	sv.startWriters()
	sv.startCollector()

	web, webAddr := startWebapp(t, s, sv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin(t, "demotraffic"), "-target", "http://"+webAddr, "-n", fmt.Sprint(n)).CombinedOutput()
	t.Logf("demotraffic output:\n%s", out)
	if err != nil {
		t.Fatalf("demotraffic: %v", err)
	}
	if err := web.Stop(30 * time.Second); err != nil {
		t.Fatalf("webapp did not shut down cleanly: %v", err)
	}

	// "  by method:   GET=272 HEAD=12 POST=16"
	want := map[string]int{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) < 3 || fields[0] != "by" || fields[1] != "method:" {
			continue
		}
		for _, f := range fields[2:] {
			method, count, ok := strings.Cut(f, "=")
			c, err := strconv.Atoi(count)
			if !ok || err != nil {
				t.Fatalf("cannot parse %q in %q", f, line)
			}
			want[method] = c
		}
	}
	if len(want) == 0 || want["GET"] == 0 || want["POST"] == 0 || want["HEAD"] == 0 {
		t.Fatalf("demotraffic reported methods %v; want GET, POST and HEAD", want)
	}

	pgc, chc := waitForCounts(t, s, n, 90*time.Second)
	if pgc.rows != n || pgc.distinct != n || chc.rows != n || chc.distinct != n {
		t.Errorf("postgres %+v, clickhouse %+v; want exactly %d page views in each", pgc, chc, n)
	}
	pgRows, chRows := readRows(t, s)
	for store, rows := range map[string][]row{"postgres": pgRows, "clickhouse": chRows} {
		got := map[string]int{}
		for _, r := range rows {
			got[r.Method]++
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s page views by method %v, demotraffic made %v", store, got, want)
		}
	}
}
