// Command webapp is a small web site that records its page views with the
// Footprint SDK's HTTP middleware. It serves a home page, a blog, a pricing
// page, a signup form (GET and POST), static files and /healthz; static files
// and /healthz are not recorded.
//
// Configuration (a flag wins over its environment variable):
//
//	-addr        FOOTPRINT_WEBAPP_ADDR           listen address (127.0.0.1:8080)
//	-collector   FOOTPRINT_COLLECTOR_ADDR        collector gRPC address (127.0.0.1:50051)
//	-api-key     FOOTPRINT_API_KEY               API key for the site (fp_dev_key)
//	-site        FOOTPRINT_SITE_ID               site id of the events (demo)
//	-trusted     FOOTPRINT_TRUSTED_PROXIES       comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed ("")
//	-flush       FOOTPRINT_FLUSH_INTERVAL        SDK flush interval (1s)
//	-tracker     FOOTPRINT_TRACKER_URL           footprint.js URL of the browser pages (http://127.0.0.1:8081/js/footprint.js)
//
// The pages under /app/ are a small single-page app that the browser tracker
// (footprint.js, served by the collector) records instead of the middleware.
//
// SIGTERM or SIGINT stops the server (in-flight requests finish) and closes
// the SDK client, which sends every queued event; the exit status is 1 when
// some events could not be delivered.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	footprint "github.com/footprint/footprint/sdk"
)

const visitorCookie = "fp_vid"

type options struct {
	addr, collector, apiKey, site, trusted, tracker string
	flush                                           time.Duration
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseOptions() (options, error) {
	var o options
	flushDefault, err := time.ParseDuration(envOr("FOOTPRINT_FLUSH_INTERVAL", "1s"))
	if err != nil {
		return o, fmt.Errorf("FOOTPRINT_FLUSH_INTERVAL: %w", err)
	}
	flag.StringVar(&o.addr, "addr", envOr("FOOTPRINT_WEBAPP_ADDR", "127.0.0.1:8080"), "listen address")
	flag.StringVar(&o.collector, "collector", envOr("FOOTPRINT_COLLECTOR_ADDR", "127.0.0.1:50051"), "collector gRPC address")
	flag.StringVar(&o.apiKey, "api-key", envOr("FOOTPRINT_API_KEY", "fp_dev_key"), "API key")
	flag.StringVar(&o.site, "site", envOr("FOOTPRINT_SITE_ID", "demo"), "site id")
	flag.StringVar(&o.trusted, "trusted", envOr("FOOTPRINT_TRUSTED_PROXIES", ""), "trusted proxies (comma-separated IPs or CIDRs)")
	flag.DurationVar(&o.flush, "flush", flushDefault, "SDK flush interval")
	flag.StringVar(&o.tracker, "tracker", envOr("FOOTPRINT_TRACKER_URL", "http://127.0.0.1:8081/js/footprint.js"), "footprint.js URL of the browser pages")
	flag.Parse()
	return o, nil
}

func run() error {
	o, err := parseOptions()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	client, err := footprint.New(o.collector,
		// The demo talks to a collector on the same host; use TLS otherwise.
		footprint.WithInsecure(),
		footprint.WithAPIKey(o.apiKey),
		footprint.WithSiteID(o.site),
		footprint.WithFlushInterval(o.flush),
		// Keep retrying through a collector restart until shutdown.
		footprint.WithMaxRetries(-1),
		footprint.WithLogger(log),
	)
	if err != nil {
		return fmt.Errorf("footprint client: %w", err)
	}

	cfg := footprint.DefaultHTTPConfig()
	cfg.SiteID = o.site
	cfg.SkipPaths = append(cfg.SkipPaths, "/_footprint/stats")
	// The single-page app is recorded by the browser tracker; the middleware
	// would count its first load twice.
	cfg.SkipPrefixes = append(cfg.SkipPrefixes, "/app/", "/site/", "/files/")
	if o.trusted != "" {
		cfg.TrustedProxies = strings.Split(o.trusted, ",")
	}
	cfg.VisitorID = func(r *http.Request) string {
		if c, err := r.Cookie(visitorCookie); err == nil {
			return c.Value
		}
		return "" // first visit: the collector derives a cookieless id
	}
	mw, err := footprint.NewHTTPMiddleware(client, cfg)
	if err != nil {
		return fmt.Errorf("middleware: %w", err)
	}

	lis, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           mw.Handler(routes(client, o)),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("webapp listening", "addr", lis.Addr().String(), "collector", o.collector, "site", o.site)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Requests still running are tracked when they finish, so stop the
	// server before closing the client.
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	undelivered, closeErr := client.Close(shutdownCtx)
	s := client.Stats()
	log.Info("footprint client closed", "tracked", s.Tracked, "sent", s.Sent, "rejected", s.Rejected,
		"dropped", s.Dropped, "failed", s.Failed, "retries", s.Retries, "undelivered", undelivered)
	if closeErr != nil {
		return fmt.Errorf("close footprint client: %w", closeErr)
	}
	return nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Demo Shop</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><nav><a href="/">Home</a> <a href="/blog/">Blog</a> <a href="/pricing">Pricing</a> <a href="/signup">Sign up</a></nav>
<main><h1>{{.Title}}</h1>{{range .Paragraphs}}<p>{{.}}</p>{{end}}
{{if .Links}}<ul>{{range .Links}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
{{if .Form}}<form method="post" action="/signup"><input name="email" type="email" placeholder="you@example.com"><button>Sign up</button></form>{{end}}
</main></body></html>
`))

type link struct{ Href, Text string }

type pageData struct {
	Title      string
	Paragraphs []string
	Links      []link
	Form       bool
}

// posts is the demo blog: slug to title.
var posts = map[string]string{
	"hello-world":         "Hello, world",
	"kafka-sinks":         "What we learned writing Kafka sinks",
	"clickhouse-vs-pg":    "ClickHouse or PostgreSQL for dashboards?",
	"cookieless-visitors": "Counting visitors without cookies",
	"release-1-0":         "Footprint 1.0",
}

func routes(client *footprint.Client, o options) http.Handler {
	mux := http.NewServeMux()
	browserRoutes(mux, o.site, o.tracker)
	socialRoutes(mux, client)
	render := func(w http.ResponseWriter, status int, d pageData) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = page.Execute(w, d)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ensureVisitor(w, r)
		render(w, http.StatusOK, pageData{Title: "Welcome", Paragraphs: []string{"The shop that counts its visitors kindly."},
			Links: []link{{"/blog/", "Read the blog"}, {"/pricing", "See pricing"}}})
	})
	mux.HandleFunc("GET /blog/{$}", func(w http.ResponseWriter, r *http.Request) {
		ensureVisitor(w, r)
		var links []link
		for slug, title := range posts {
			links = append(links, link{"/blog/" + slug, title})
		}
		render(w, http.StatusOK, pageData{Title: "Blog", Links: links})
	})
	mux.HandleFunc("GET /blog/{slug}", func(w http.ResponseWriter, r *http.Request) {
		ensureVisitor(w, r)
		title, ok := posts[r.PathValue("slug")]
		if !ok {
			render(w, http.StatusNotFound, pageData{Title: "Post not found"})
			return
		}
		render(w, http.StatusOK, pageData{Title: title, Paragraphs: []string{"Lorem ipsum dolor sit amet."}})
	})
	mux.HandleFunc("GET /pricing", func(w http.ResponseWriter, r *http.Request) {
		ensureVisitor(w, r)
		render(w, http.StatusOK, pageData{Title: "Pricing", Paragraphs: []string{"Free while in beta."}})
	})
	mux.HandleFunc("GET /signup", func(w http.ResponseWriter, r *http.Request) {
		ensureVisitor(w, r)
		render(w, http.StatusOK, pageData{Title: "Sign up", Form: true})
	})
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !strings.Contains(r.PostForm.Get("email"), "@") {
			render(w, http.StatusUnprocessableEntity, pageData{Title: "Sign up", Paragraphs: []string{"Please enter an email address."}, Form: true})
			return
		}
		// Post/redirect/get, as a real form would.
		http.Redirect(w, r, "/?welcome=1", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		_, _ = fmt.Fprint(w, "body{font-family:sans-serif;max-width:40em;margin:auto}nav a{margin-right:1em}")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /_footprint/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(client.Stats())
	})
	return mux
}

// ensureVisitor gives a first-time visitor a random first-party cookie, so
// that their later page views share a visitor id.
func ensureVisitor(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(visitorCookie); !errors.Is(err, http.ErrNoCookie) {
		return
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	http.SetCookie(w, &http.Cookie{
		Name: visitorCookie, Value: hex.EncodeToString(b), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}
