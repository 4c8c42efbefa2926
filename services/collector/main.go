// Command collector is Footprint's front door: a gRPC service that validates
// and enriches events and answers OK only once Kafka holds them.
//
// Configuration comes from FOOTPRINT_* environment variables; `collector
// -help` lists them with their defaults (README.md has the same table).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/config"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

func main() {
	if exit, code := commandLine(os.Args[1:], os.Stdout, os.Stderr); exit {
		os.Exit(code)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "collector:", err)
		os.Exit(1)
	}
}

// commandLine answers -h/-help with the variables and their defaults
// (exit 0) and refuses anything else on the command line (exit 2).
func commandLine(args []string, stdout, stderr io.Writer) (exit bool, code int) {
	def := config.Default()
	return config.Vars(&def).Args("collector", args, stdout, stderr)
}

// Garbage collector defaults, used when GOGC / GOMEMLIMIT are not set. The
// collector's live heap is small (the batches in flight) but it allocates
// about 2 KB per event: at Go's default GOGC=100 the collector collected
// every few batches and the GC took a quarter of its CPU. At 400 it collects
// a fifth as often (0.81x the CPU per event, same-run benchmark). The soft
// memory limit makes the GC work harder instead of letting the heap grow to
// five times the live data: BenchmarkBinary (4 clients x 1000 events) peaked
// at 100 MB RSS with Go's defaults, 127-135 MB at GOGC=400 alone and 93 MB
// with this 64 MiB limit, well within the collector's 150 MB budget.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 64 << 20
)

// tuneGC applies the defaults above unless the operator set the Go
// runtime's own variables.
func tuneGC(lookup func(string) (string, bool)) {
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

func run() error {
	tuneGC(os.LookupEnv)
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	keyring, err := auth.Load(cfg.Auth)
	if err != nil {
		return fmt.Errorf("api keys: %w", err)
	}
	validator, err := validate.New(cfg.Limits)
	if err != nil {
		return err
	}
	enricher, generatedSecret, err := enrich.New(cfg.Enrich)
	if err != nil {
		return err
	}
	if generatedSecret {
		logger.Warn("FOOTPRINT_COLLECTOR_VISITOR_SECRET is not set: using a random secret, so derived visitor ids differ between replicas and restarts")
	}

	reg, err := admin.NewRegistry()
	if err != nil {
		return err
	}
	failures, err := auth.NewFailures(reg, logger, auth.DefaultLogLimit())
	if err != nil {
		return fmt.Errorf("auth metrics: %w", err)
	}
	keyring = keyring.WithFailures(failures)
	// The queue-depth gauge reads prod when scraped, which is only after
	// prod is set below (the admin server starts later).
	var prod *producer.Producer
	metrics, err := server.NewMetrics(reg, func() int { return prod.QueueLen() })
	if err != nil {
		return fmt.Errorf("collector metrics: %w", err)
	}
	prod, err = producer.New(cfg.Kafka, metrics, logger)
	if err != nil {
		return err
	}

	srv, err := server.New(cfg.Server, server.Deps{
		Validator: validator, Enricher: enricher, Producer: prod, Keyring: keyring, Metrics: metrics, Logger: logger,
	})
	if err != nil {
		prod.Close(0)
		return err
	}
	lis, err := net.Listen("tcp", cfg.Server.GRPCAddr)
	if err != nil {
		prod.Close(0)
		return fmt.Errorf("grpc listen: %w", err)
	}
	serveBeacon, err := listenBeacon(cfg, srv.Pipeline(), reg, logger)
	if err != nil {
		prod.Close(0)
		return err
	}
	logger.Info("collector starting", "grpc", lis.Addr().String(), "admin", cfg.Admin.Addr,
		"kafka", cfg.Kafka.Brokers, "topic", cfg.Kafka.Topic, "api_keys", keyring.Len())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	adminSrv := admin.New(cfg.Admin, reg, prod.Ready, logger)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis) })
	g.Go(func() error { return adminSrv.Run(gctx) })
	g.Go(func() error { return serveBeacon(gctx) })
	serveErr := g.Wait()

	// Every call has returned: flush what is still queued (acknowledgements of
	// calls that gave up early), then close.
	if left := prod.Close(cfg.Server.ShutdownTimeout); left > 0 {
		logger.Warn("producer closed with undelivered messages", "messages", left)
	}
	if serveErr != nil && !errors.Is(serveErr, context.Canceled) {
		return serveErr
	}
	logger.Info("collector stopped")
	return nil
}

// listenBeacon opens the HTTP endpoint for browsers on the gRPC service's
// pipeline and returns its serve function (a no-op when the endpoint is off).
func listenBeacon(cfg config.Config, pipeline *server.Pipeline, reg prometheus.Registerer, logger *slog.Logger) (func(context.Context) error, error) {
	if !cfg.Beacon.Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	b, err := beacon.New(cfg.Beacon, beacon.Deps{Pipeline: pipeline, Registry: reg, Logger: logger})
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", cfg.Beacon.Addr)
	if err != nil {
		return nil, fmt.Errorf("http listen: %w", err)
	}
	return func(ctx context.Context) error { return b.Serve(ctx, lis, cfg.Server.ShutdownTimeout) }, nil
}
