// Command pg-writer consumes footprint.events.v1 and stores the events in
// PostgreSQL. Configuration comes from FOOTPRINT_* environment variables
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
	"github.com/footprint/footprint/services/pg-writer/internal/pgstore"
)

// config is everything the binary reads from the environment.
type config struct {
	Sink     sink.Config
	Store    pgstore.Config
	Admin    admin.Config
	LogLevel slog.Level
}

// loadConfig maps the environment onto the defaults, explicitly.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Sink:  sink.DefaultConfig("pg_writer"),
		Store: pgstore.DefaultConfig(),
		Admin: admin.Config{Addr: "127.0.0.1:9465"},
	}
	env := envconfig.New(getenv)
	cfg.Sink.ReadEnv(env) // FOOTPRINT_KAFKA_* and FOOTPRINT_WRITER_*, shared by both writers
	env.String("FOOTPRINT_ADMIN_ADDR", &cfg.Admin.Addr)
	env.String("FOOTPRINT_PG_URL", &cfg.Store.URL)
	env.String("FOOTPRINT_PG_SCHEMA", &cfg.Store.Schema)
	env.Int("FOOTPRINT_PG_RETENTION_DAYS", &cfg.Store.RetentionDays)
	env.Int("FOOTPRINT_PG_PARTITIONS_AHEAD", &cfg.Store.PartitionsAhead)
	env.Duration("FOOTPRINT_PG_MAINTENANCE_INTERVAL", &cfg.Store.MaintenanceInterval)
	env.LogLevel("FOOTPRINT_LOG_LEVEL", &cfg.LogLevel)
	return cfg, errors.Join(env.Err(), cfg.Sink.Validate(), cfg.Store.Validate(), cfg.Admin.Validate())
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pg-writer:", err)
		os.Exit(1)
	}
}

// run is the whole program; it returns nil after a clean shutdown.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "pg-writer")

	store, err := pgstore.Open(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	return sink.Service{
		Sink:                cfg.Sink,
		Admin:               cfg.Admin,
		MaintenanceInterval: cfg.Store.MaintenanceInterval,
		Store:               store,
		Logger:              logger,
	}.Run(ctx)
}
