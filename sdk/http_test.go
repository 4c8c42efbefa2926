package footprint_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	footprint "github.com/footprint/footprint/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recorder is a Tracker that keeps the events in memory.
type recorder struct {
	mu     sync.Mutex
	events []*eventv1.Event
}

func (r *recorder) Track(_ context.Context, ev *eventv1.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) all() []*eventv1.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*eventv1.Event(nil), r.events...)
}

func app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "home") })
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "x") })
	mux.HandleFunc("GET /blog/{slug}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "post") })
	return mux
}

func serve(t *testing.T, cfg footprint.HTTPConfig, h http.Handler, req *http.Request) (*httptest.ResponseRecorder, []*eventv1.Event) {
	t.Helper()
	rec := &recorder{}
	m, err := footprint.NewHTTPMiddleware(rec, cfg)
	if err != nil {
		t.Fatalf("NewHTTPMiddleware: %v", err)
	}
	w := httptest.NewRecorder()
	m.Handler(h).ServeHTTP(w, req)
	return w, rec.all()
}

func TestMiddlewareRecordsPageView(t *testing.T) {
	cfg := footprint.DefaultHTTPConfig()
	cfg.SiteID = "demo"
	cfg.VisitorID = func(r *http.Request) string {
		if c, err := r.Cookie("fp_vid"); err == nil {
			return c.Value
		}
		return ""
	}
	req := httptest.NewRequest(http.MethodPost, "http://shop.example/signup?plan=pro&utm_source=news", nil)
	req.RemoteAddr = "203.0.113.7:51234"
	req.Header.Set("Referer", "https://www.google.com/search?q=footprint")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
	req.AddCookie(&http.Cookie{Name: "fp_vid", Value: "visitor-1"})
	w, events := serve(t, cfg, app(), req)
	if w.Code != http.StatusCreated {
		t.Fatalf("response status %d, want 201", w.Code)
	}
	if len(events) != 1 {
		t.Fatalf("recorded %d events, want 1", len(events))
	}
	ev := events[0]
	checks := []struct{ name, got, want string }{
		{"site", ev.GetSiteId(), "demo"},
		{"name", ev.GetName(), "page_view"},
		{"url", ev.GetPage().GetUrl(), "http://shop.example/signup?plan=pro&utm_source=news"},
		{"path", ev.GetPage().GetPath(), "/signup"},
		{"referrer", ev.GetPage().GetReferrer(), "https://www.google.com/search?q=footprint"},
		{"method", ev.GetHttpMethod(), "POST"},
		{"user agent", ev.GetClient().GetUserAgent(), "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
		{"ip", ev.GetClient().GetIp(), "203.0.113.7"},
		{"visitor", ev.GetVisitorId(), "visitor-1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if ev.GetHttpStatus() != http.StatusCreated {
		t.Errorf("status = %d, want 201", ev.GetHttpStatus())
	}
}

func TestMiddlewareStatus(t *testing.T) {
	cases := []struct {
		name string
		h    http.HandlerFunc
		want uint32
	}{
		{"implicit 200 on write", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "x") }, 200},
		{"implicit 200 without body", func(http.ResponseWriter, *http.Request) {}, 200},
		{"explicit 404", http.NotFound, 404},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/", http.StatusFound) }, 302},
		{"103 then 500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusInternalServerError)
		}, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, events := serve(t, footprint.DefaultHTTPConfig(), tc.h, httptest.NewRequest(http.MethodGet, "/x", nil))
			if len(events) != 1 || events[0].GetHttpStatus() != tc.want {
				t.Fatalf("events %v, want one with status %d", events, tc.want)
			}
		})
	}
}

func TestMiddlewareRecordsPanicAs500(t *testing.T) {
	rec := &recorder{}
	m, err := footprint.NewHTTPMiddleware(rec, footprint.DefaultHTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("panic %v was not passed on", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	}()
	if ev := rec.all(); len(ev) != 1 || ev[0].GetHttpStatus() != 500 {
		t.Errorf("events %v, want one with status 500", ev)
	}
}

func TestMiddlewareClientIP(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{"no proxy configured ignores header", nil, "198.51.100.1:4000", []string{"1.2.3.4"}, "198.51.100.1"},
		{"untrusted peer ignores header", []string{"10.0.0.0/8"}, "198.51.100.1:4000", []string{"1.2.3.4"}, "198.51.100.1"},
		{"trusted peer", []string{"10.0.0.0/8"}, "10.1.2.3:4000", []string{"1.2.3.4"}, "1.2.3.4"},
		{"trusted single ip", []string{"127.0.0.1"}, "127.0.0.1:4000", []string{"1.2.3.4"}, "1.2.3.4"},
		{"spoofed left entry ignored", []string{"10.0.0.0/8"}, "10.1.2.3:4000", []string{"6.6.6.6, 1.2.3.4, 10.9.9.9"}, "1.2.3.4"},
		{"several headers", []string{"10.0.0.0/8"}, "10.1.2.3:4000", []string{"6.6.6.6", "1.2.3.4"}, "1.2.3.4"},
		{"all hops trusted", []string{"10.0.0.0/8"}, "10.1.2.3:4000", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"trusted peer without header", []string{"10.0.0.0/8"}, "10.1.2.3:4000", nil, "10.1.2.3"},
		{"garbage header keeps peer", []string{"10.0.0.0/8"}, "10.1.2.3:4000", []string{"not-an-ip"}, "10.1.2.3"},
		{"ipv6 peer", nil, "[2001:db8::1]:4000", nil, "2001:db8::1"},
		{"ipv4-mapped peer", []string{"10.0.0.0/8"}, "[::ffff:10.1.2.3]:4000", []string{"1.2.3.4"}, "1.2.3.4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := footprint.DefaultHTTPConfig()
			cfg.TrustedProxies = tc.trusted
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			_, events := serve(t, cfg, app(), req)
			if len(events) != 1 {
				t.Fatalf("recorded %d events, want 1", len(events))
			}
			if got := events[0].GetClient().GetIp(); got != tc.want {
				t.Errorf("ip = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMiddlewareSchemeFromTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		trusted []string
		want    string
	}{
		{nil, "http://example.com/"},
		{[]string{"10.0.0.1"}, "https://example.com/"},
	} {
		cfg := footprint.DefaultHTTPConfig()
		cfg.TrustedProxies = tc.trusted
		req := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
		req.RemoteAddr = "10.0.0.1:1234"
		req.Header.Set("X-Forwarded-Proto", "https")
		_, events := serve(t, cfg, app(), req)
		if got := events[0].GetPage().GetUrl(); got != tc.want {
			t.Errorf("trusted %v: url = %q, want %q", tc.trusted, got, tc.want)
		}
	}
}

func TestMiddlewareFilters(t *testing.T) {
	cfg := footprint.DefaultHTTPConfig()
	cfg.SkipPaths = append(cfg.SkipPaths, "/internal/status")
	cfg.Skip = func(r *http.Request) bool { return r.Header.Get("X-Synthetic") == "1" }
	cases := []struct {
		target string
		header string
		record bool
	}{
		{"/", "", true},
		{"/blog/hello", "", true},
		{"/healthz", "", false},
		{"/metrics", "", false},
		{"/favicon.ico", "", false},
		{"/static/app.css", "", false},
		{"/static/anything", "", false},
		{"/img/logo.PNG", "", false},
		{"/js/app.js", "", false},
		{"/internal/status", "", false},
		{"/", "1", false},
		{"/blog/v1.2-release", "", true},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(http.MethodGet, tc.target, nil)
		if tc.header != "" {
			req.Header.Set("X-Synthetic", tc.header)
		}
		w, events := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "served")
		}), req)
		if w.Body.String() != "served" {
			t.Errorf("%s: the handler did not run", tc.target)
		}
		if got := len(events) == 1; got != tc.record {
			t.Errorf("%s (header %q): recorded = %v, want %v", tc.target, tc.header, got, tc.record)
		}
	}
}

func TestMiddlewareHEADAndDuration(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// A measurable amount of work, not a synchronisation wait.
		deadline := time.Now().Add(2 * time.Millisecond)
		for time.Now().Before(deadline) {
		}
		w.WriteHeader(http.StatusOK)
	})
	_, events := serve(t, footprint.DefaultHTTPConfig(), h, httptest.NewRequest(http.MethodHead, "/pricing", nil))
	if len(events) != 1 {
		t.Fatalf("recorded %d events, want 1", len(events))
	}
	if events[0].GetHttpMethod() != "HEAD" {
		t.Errorf("method = %q, want HEAD", events[0].GetHttpMethod())
	}
	if d := events[0].GetDurationUs(); d < 2000 {
		t.Errorf("duration_us = %d, want >= 2000", d)
	}
}

func TestMiddlewareKeepsFlusher(t *testing.T) {
	var flushed bool
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("wrapped writer lost http.Flusher")
			return
		}
		f.Flush()
		flushed = true
	})
	w, _ := serve(t, footprint.DefaultHTTPConfig(), h, httptest.NewRequest(http.MethodGet, "/", nil))
	if !flushed || !w.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
}

func TestMiddlewareRejectsBadProxy(t *testing.T) {
	cfg := footprint.DefaultHTTPConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/33", "nope"}
	if _, err := footprint.NewHTTPMiddleware(&recorder{}, cfg); !errors.Is(err, footprint.ErrTrustedProxy) {
		t.Errorf("err = %v, want ErrTrustedProxy", err)
	}
}

// discard is a Tracker that does nothing, to measure the middleware alone.
type discard struct{}

func (discard) Track(context.Context, *eventv1.Event) error { return nil }

// BenchmarkMiddleware measures what the middleware adds to a request: the
// bare handler, the middleware with a no-op tracker (building the event),
// and the middleware with a real Client whose sender ships batches to an
// in-process collector (building plus enqueueing, plus the sender's CPU on
// the same cores; the fake collector answers without recording, but its
// decoding still competes for the CPU, so this is an upper bound).
// The cost per request is the difference to "bare".
func BenchmarkMiddleware(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
	})
	newReq := func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "http://shop.example/blog/hello-world?utm_source=news", nil)
		req.RemoteAddr = "10.0.0.1:51234"
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		req.Header.Set("Referer", "https://www.google.com/")
		req.Header.Set("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15")
		return req
	}
	cfg := footprint.DefaultHTTPConfig()
	cfg.SiteID = "bench"
	cfg.TrustedProxies = []string{"10.0.0.0/8"}

	run := func(b *testing.B, handler http.Handler) {
		req := newReq()
		w := &nopWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			handler.ServeHTTP(w, req)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, h) })
	b.Run("noop-tracker", func(b *testing.B) {
		m, err := footprint.NewHTTPMiddleware(discard{}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		run(b, m.Handler(h))
	})
	// The request path alone with a real Client: the collector never
	// answers and the queue stays full, so every Track also evicts the
	// oldest event (DropOldest), two channel operations more than a normal
	// enqueue, and no sender work competes for the CPU.
	b.Run("client-request-path", func(b *testing.B) {
		stalled := make(chan struct{})
		defer close(stalled)
		f := &fakeCollector{handle: func(ctx context.Context, _ int, _ *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
			select {
			case <-stalled:
			case <-ctx.Done():
			}
			return nil, status.Error(codes.Unavailable, "stalled")
		}}
		c, err := footprint.New(startFake(b, f), footprint.WithInsecure(), footprint.WithBatchSize(100),
			footprint.WithQueueSize(1000), footprint.WithDropPolicy(footprint.DropOldest), footprint.WithRPCTimeout(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		m, err := footprint.NewHTTPMiddleware(c, cfg)
		if err != nil {
			b.Fatal(err)
		}
		run(b, m.Handler(h))
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, _ = c.Close(ctx)
	})
	b.Run("client", func(b *testing.B) {
		c, err := footprint.New(startFake(b, &fakeCollector{discard: true}), footprint.WithInsecure(),
			footprint.WithBatchSize(500), footprint.WithQueueSize(100000))
		if err != nil {
			b.Fatal(err)
		}
		m, err := footprint.NewHTTPMiddleware(c, cfg)
		if err != nil {
			b.Fatal(err)
		}
		run(b, m.Handler(h))
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = c.Close(ctx)
		if s := c.Stats(); s.Dropped > 0 {
			b.Logf("dropped %d of %d events (queue full): the sender is slower than the loop", s.Dropped, s.Tracked)
		}
	})
}

// nopWriter is a ResponseWriter that costs nothing, so the benchmark
// measures the middleware and not httptest's recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}
