package beacon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/footprint/footprint/services/collector/internal/server"
)

// Deps are what the endpoint needs.
type Deps struct {
	// Pipeline is the collector's one ingest path, shared with gRPC Ingest.
	Pipeline *server.Pipeline
	Registry prometheus.Registerer
	Logger   *slog.Logger
	// Now is the clock of the rate limiter; time.Now when nil.
	Now func() time.Time
}

// Server is the HTTP beacon endpoint.
type Server struct {
	cfg       Config
	sites     Sites
	proxies   []netip.Prefix
	pipeline  *server.Pipeline
	script    *script
	ipLimit   *limiter
	siteLimit *limiter
	metrics   *Metrics
	logger    *slog.Logger
	now       func() time.Time
	handler   http.Handler
}

// New builds the endpoint from a validated config.
func New(cfg Config, deps Deps) (*Server, error) {
	sites, err := ParseSites(cfg.Sites)
	if err != nil {
		return nil, err
	}
	proxies, err := ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	sc, err := newScript(cfg.ScriptPath, cfg.EventPath)
	if err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Server{
		cfg: cfg, sites: sites, proxies: proxies, pipeline: deps.Pipeline, script: sc,
		ipLimit:   newLimiter(cfg.IPRate, cfg.IPBurst, cfg.RateLimitKeys),
		siteLimit: newLimiter(cfg.SiteRate, cfg.SiteBurst, max(len(sites), 1)),
		logger:    deps.Logger, now: deps.Now,
	}
	if s.metrics, err = newMetrics(deps.Registry, s.ipLimit.size); err != nil {
		return nil, fmt.Errorf("beacon metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+cfg.EventPath, s.timed(routeEvent, s.event))
	mux.HandleFunc("OPTIONS "+cfg.EventPath, s.timed(routePreflight, s.preflight))
	mux.HandleFunc("GET "+cfg.ScriptPath, s.timed(routeScript, func(w http.ResponseWriter, r *http.Request) int {
		return s.script.serve(w, r, false)
	}))
	mux.HandleFunc("GET "+sc.versionedPath, s.timed(routeScript, func(w http.ResponseWriter, r *http.Request) int {
		return s.script.serve(w, r, true)
	}))
	s.handler = mux
	return s, nil
}

// Handler serves the endpoint's routes.
func (s *Server) Handler() http.Handler { return s.handler }

// VersionedScriptPath is the immutable path of the current tracker.
func (s *Server) VersionedScriptPath() string { return s.script.versionedPath }

// timed records a route's requests by status code and their duration.
func (s *Server) timed(route string, h func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code := h(w, r)
		s.metrics.requests.WithLabelValues(route, fmt.Sprint(code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

// Serve serves on lis until ctx is cancelled, then lets running requests
// finish for at most shutdownTimeout.
func (s *Server) Serve(ctx context.Context, lis net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// An event's answer waits for Kafka's acknowledgement (the producer's ack timeout).
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	s.logger.Info("http beacon listening", "addr", lis.Addr().String(), "event_path", s.cfg.EventPath,
		"script_path", s.cfg.ScriptPath, "script_versioned_path", s.script.versionedPath, "sites", len(s.sites))
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.logger.Warn("http beacon: requests did not finish in time; closing them", "err", err)
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve: %w", err)
	}
	return nil
}
