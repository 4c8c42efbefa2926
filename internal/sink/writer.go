package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
)

// ClosableStore is a store the writer binary opens, runs and closes.
type ClosableStore interface {
	MaintainedStore
	Close() error
}

// StoreConfig is a store's configuration as a writer binary needs it.
type StoreConfig[S any] interface {
	// FromEnv returns the configuration with the store's FOOTPRINT_*
	// variables applied.
	FromEnv(env *envconfig.Reader) S
	Validate() error
	// Maintenance is how often the service runs the store's Maintain.
	Maintenance() time.Duration
}

// WriterConfig is everything a writer binary reads from the environment.
type WriterConfig[S StoreConfig[S]] struct {
	Sink     Config
	Store    S
	Admin    admin.Config
	LogLevel slog.Level
}

// Writer is one writer binary: what differs between pg-writer and
// ch-writer is its name, its default admin address and its store. Both
// mains are a Writer value and a call to Main.
type Writer[S StoreConfig[S], T ClosableStore] struct {
	// Name is the service name, for example "pg-writer"; with dashes
	// replaced by underscores it is the writer label of the metrics.
	Name string
	// AdminAddr is the default admin listen address.
	AdminAddr string
	// Store is the store's default configuration.
	Store S
	// Open opens the store (it may not be reachable yet: the service
	// retries its migrations until it is).
	Open func(ctx context.Context, cfg S, logger *slog.Logger) (T, error)
}

// LoadConfig maps the environment onto the defaults and validates it all.
func (w Writer[S, T]) LoadConfig(getenv func(string) string) (WriterConfig[S], error) {
	cfg := WriterConfig[S]{
		Sink:  DefaultConfig(strings.ReplaceAll(w.Name, "-", "_")),
		Store: w.Store,
		Admin: admin.Config{Addr: w.AdminAddr},
	}
	env := envconfig.New(getenv)
	cfg.Sink.ReadEnv(env)  // FOOTPRINT_KAFKA_* and FOOTPRINT_WRITER_*, shared by both writers
	cfg.Admin.ReadEnv(env) // FOOTPRINT_ADMIN_ADDR, FOOTPRINT_ADMIN_PPROF
	cfg.Store = cfg.Store.FromEnv(env)
	env.LogLevel("FOOTPRINT_LOG_LEVEL", &cfg.LogLevel)
	return cfg, errors.Join(env.Err(), cfg.Sink.Validate(), cfg.Store.Validate(), cfg.Admin.Validate())
}

// Main runs the writer until SIGTERM or SIGINT and exits 1 on an error.
func (w Writer[S, T]) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := w.Run(ctx, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", w.Name, err)
		os.Exit(1)
	}
}

// Run is the whole program; it returns nil after a clean shutdown.
func (w Writer[S, T]) Run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := w.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", w.Name)
	if getenv("GOMEMLIMIT") == "" && cfg.Sink.MemoryLimit > 0 {
		// A process setting, so the binary's Run applies it, not the loop.
		debug.SetMemoryLimit(int64(cfg.Sink.MemoryLimit))
	}
	store, err := w.Open(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	return Service{
		Sink:                cfg.Sink,
		Admin:               cfg.Admin,
		MaintenanceInterval: cfg.Store.Maintenance(),
		Store:               store,
		Logger:              logger,
	}.Run(ctx)
}
