// Command ch-writer consumes footprint.events.v1 and stores the events in
// ClickHouse. Configuration comes from FOOTPRINT_* environment variables
// (see README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/services/ch-writer/internal/chstore"
)

// config is everything the binary reads from the environment.
type config struct {
	Sink     sink.Config
	Store    chstore.Config
	Admin    admin.Config
	LogLevel slog.Level
}

// loadConfig maps the environment onto the defaults, explicitly.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Sink:  sink.DefaultConfig("ch_writer"),
		Store: chstore.DefaultConfig(),
		Admin: admin.Config{Addr: "127.0.0.1:9466"},
	}
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	str("FOOTPRINT_KAFKA_BROKERS", &cfg.Sink.Brokers)
	str("FOOTPRINT_KAFKA_TOPIC", &cfg.Sink.Topic)
	cfg.Sink.DLQTopic = cfg.Sink.Topic + ".dlq"
	str("FOOTPRINT_KAFKA_DLQ_TOPIC", &cfg.Sink.DLQTopic)
	str("FOOTPRINT_WRITER_GROUP", &cfg.Sink.Group)
	num("FOOTPRINT_WRITER_BATCH_MAX_EVENTS", &cfg.Sink.BatchMaxEvents)
	num("FOOTPRINT_WRITER_BATCH_MAX_BYTES", &cfg.Sink.BatchMaxBytes)
	dur("FOOTPRINT_WRITER_BATCH_MAX_WAIT", &cfg.Sink.BatchMaxWait)
	dur("FOOTPRINT_WRITER_RETRY_MAX", &cfg.Sink.RetryMax)
	dur("FOOTPRINT_WRITER_SHUTDOWN_TIMEOUT", &cfg.Sink.ShutdownTimeout)
	dur("FOOTPRINT_WRITER_SESSION_TIMEOUT", &cfg.Sink.SessionTimeout)
	str("FOOTPRINT_ADMIN_ADDR", &cfg.Admin.Addr)
	str("FOOTPRINT_CH_ADDR", &cfg.Store.Addr)
	str("FOOTPRINT_CH_DATABASE", &cfg.Store.Database)
	str("FOOTPRINT_CH_USER", &cfg.Store.User)
	str("FOOTPRINT_CH_PASSWORD", &cfg.Store.Password)
	num("FOOTPRINT_CH_RETENTION_MONTHS", &cfg.Store.RetentionMonths)
	dur("FOOTPRINT_CH_MAINTENANCE_INTERVAL", &cfg.Store.MaintenanceInterval)
	if v := getenv("FOOTPRINT_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("FOOTPRINT_LOG_LEVEL: %w", err))
		}
	}
	errs = append(errs, cfg.Sink.Validate(), cfg.Store.Validate(), cfg.Admin.Validate())
	return cfg, errors.Join(errs...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ch-writer:", err)
		os.Exit(1)
	}
}

// run is the whole program; it returns nil after a clean shutdown.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "ch-writer")

	store, err := chstore.Open(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()

	// The admin server starts first so /healthz answers and /readyz says
	// why not ready while the store is still being migrated.
	reg := admin.NewRegistry()
	var current atomic.Pointer[sink.Loop]
	ready := func(ctx context.Context) error {
		if l := current.Load(); l != nil {
			return l.Ready(ctx)
		}
		return errors.New("starting: migrating the store")
	}
	srv := admin.New(cfg.Admin, reg, ready, logger)
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	bgCtx, cancelBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() { cancelBg(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Run(bgCtx); err != nil {
			cancelRun(err) // no admin port: stop like on SIGTERM and report it
		}
	}()

	// ClickHouse may still be starting: retry until it answers or we are told to stop.
	if err := retry(runCtx, logger, "migrate", func() error { return store.Migrate(runCtx) }); err != nil {
		return startErr(runCtx, logger, err)
	}
	if err := retry(runCtx, logger, "retention", func() error { return store.Maintain(runCtx, time.Now()) }); err != nil {
		return startErr(runCtx, logger, err)
	}
	loop, err := sink.New(cfg.Sink, store, reg, logger)
	if err != nil {
		return err
	}
	current.Store(loop)

	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(cfg.Store.MaintenanceInterval)
		defer t.Stop()
		for {
			select {
			case <-bgCtx.Done():
				return
			case <-t.C:
				if err := store.Maintain(bgCtx, time.Now()); err != nil {
					logger.Warn("retention maintenance", "err", err)
				}
			}
		}
	}()

	if err := loop.Run(runCtx); err != nil {
		return err
	}
	if cause := context.Cause(runCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	logger.Info("stopped cleanly")
	return nil
}

// startErr turns a start-up failure into the run result: SIGTERM while
// waiting for the store is a clean stop (nothing was consumed).
func startErr(runCtx context.Context, logger *slog.Logger, err error) error {
	if errors.Is(context.Cause(runCtx), context.Canceled) {
		logger.Info("stopped during start-up", "last_err", err)
		return nil
	}
	return errors.Join(err, context.Cause(runCtx))
}

func retry(ctx context.Context, logger *slog.Logger, what string, f func() error) error {
	backoff := 200 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		logger.Warn(what+" failed, retrying", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
