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
	"syscall"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
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
	env := envconfig.New(getenv)
	cfg.Sink.ReadEnv(env) // FOOTPRINT_KAFKA_* and FOOTPRINT_WRITER_*, shared by both writers
	env.String("FOOTPRINT_ADMIN_ADDR", &cfg.Admin.Addr)
	env.String("FOOTPRINT_CH_ADDR", &cfg.Store.Addr)
	env.String("FOOTPRINT_CH_DATABASE", &cfg.Store.Database)
	env.String("FOOTPRINT_CH_USER", &cfg.Store.User)
	env.String("FOOTPRINT_CH_PASSWORD", &cfg.Store.Password)
	env.Int("FOOTPRINT_CH_RETENTION_MONTHS", &cfg.Store.RetentionMonths)
	env.Duration("FOOTPRINT_CH_MAINTENANCE_INTERVAL", &cfg.Store.MaintenanceInterval)
	env.LogLevel("FOOTPRINT_LOG_LEVEL", &cfg.LogLevel)
	return cfg, errors.Join(env.Err(), cfg.Sink.Validate(), cfg.Store.Validate(), cfg.Admin.Validate())
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

	return sink.Service{
		Sink:                cfg.Sink,
		Admin:               cfg.Admin,
		MaintenanceInterval: cfg.Store.MaintenanceInterval,
		Store:               store,
		Logger:              logger,
	}.Run(ctx)
}
