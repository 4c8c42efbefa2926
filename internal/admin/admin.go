// Package admin serves the operational HTTP endpoints every Footprint service
// exposes on its admin port: /metrics (Prometheus), /healthz (the process is
// alive), /readyz (the service can do its job) and, only when enabled,
// /debug/pprof.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/footprint/footprint/internal/envconfig"
)

// ErrAddrRequired is returned by Config.Validate when no listen address is set.
var ErrAddrRequired = errors.New("admin: listen address is required")

// Config configures the admin HTTP server.
type Config struct {
	// Addr is the host:port the admin server listens on.
	Addr string
	// Pprof serves /debug/pprof/. Off by default: whoever reaches the admin
	// port could read the command line and memory profiles and load the CPU
	// with profiles and traces.
	Pprof bool
}

// Vars are the admin variables every service shares, bound to c's fields:
// FOOTPRINT_ADMIN_ADDR and FOOTPRINT_ADMIN_PPROF. ready says when the
// service's /readyz answers 200 ("ready when Kafka answers").
func (c *Config) Vars(ready string) envconfig.Vars {
	return envconfig.Vars{
		envconfig.String("FOOTPRINT_ADMIN_ADDR", &c.Addr, "Admin HTTP address: /metrics, /healthz, /readyz ("+ready+"), /debug/pprof/ when FOOTPRINT_ADMIN_PPROF is true.").Check(checkAddr),
		envconfig.Bool("FOOTPRINT_ADMIN_PPROF", &c.Pprof, "Serve /debug/pprof/ on the admin address (off: it exposes the command line and memory profiles to whoever reaches the port, and profiles load the CPU)."),
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error { return checkAddr(c.Addr) }

func checkAddr(addr string) error {
	if addr == "" {
		return ErrAddrRequired
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("admin: listen address %q: %w", addr, err)
	}
	return nil
}

// ReadyFunc reports nil when the service is ready to serve, or why not.
type ReadyFunc func(ctx context.Context) error

// NewRegistry returns a Prometheus registry holding the Go runtime and process
// collectors, for a service to register its own metrics on.
func NewRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	err := Register(reg, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err != nil {
		return nil, fmt.Errorf("register runtime metrics: %w", err)
	}
	return reg, nil
}

// Register registers every collector on reg, stopping at the first error.
// Services use it instead of MustRegister: a clash (two instances of one
// component on one registry) is an error for the caller, never a panic.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metric: %w", err)
		}
	}
	return nil
}

// Server is the admin HTTP server.
type Server struct {
	logger *slog.Logger
	http   *http.Server
}

// New builds an admin server. ready is called for every /readyz request.
func New(cfg Config, reg prometheus.Gatherer, ready ReadyFunc, logger *slog.Logger) *Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintln(w, "ready")
	})
	if cfg.Pprof {
		// Registered on our own mux, never on http.DefaultServeMux.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return &Server{
		logger: logger,
		http: &http.Server{
			Addr:              cfg.Addr,
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
		},
	}
}

// Run listens and serves until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.http.Addr)
	if err != nil {
		return fmt.Errorf("admin listen: %w", err)
	}
	s.logger.Info("admin server listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("admin serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("admin shutdown: %w", err)
	}
	return nil
}
