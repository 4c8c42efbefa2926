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
	"slices"
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
	// StoreVars binds the store's FOOTPRINT_* variables to a configuration
	// ((*postgres.Config).Vars).
	StoreVars func(*S) envconfig.Vars
	// Open opens the store (it may not be reachable yet: the service
	// retries its migrations until it is).
	Open func(ctx context.Context, cfg S, logger *slog.Logger) (T, error)
}

// Defaults is the writer's configuration before the environment.
func (w Writer[S, T]) Defaults() WriterConfig[S] {
	return WriterConfig[S]{
		Sink:     DefaultConfig(strings.ReplaceAll(w.Name, "-", "_")),
		Store:    w.Store,
		Admin:    admin.Config{Addr: w.AdminAddr},
		LogLevel: slog.LevelInfo,
	}
}

// Vars is the writer's variable table, bound to cfg's fields, in README
// order: the consume loop's (shared by both writers), the admin's, the log
// level and the store's.
func (w Writer[S, T]) Vars(cfg *WriterConfig[S]) envconfig.Vars {
	return slices.Concat(cfg.Sink.Vars(), cfg.Admin.Vars("503 while the store is failing"), envconfig.Vars{
		envconfig.LogLevel("FOOTPRINT_LOG_LEVEL", &cfg.LogLevel, "debug, info, warn or error"),
	}, w.StoreVars(&cfg.Store))
}

// LoadConfig maps the environment onto the defaults and validates it all.
func (w Writer[S, T]) LoadConfig(getenv func(string) string) (WriterConfig[S], error) {
	cfg := w.Defaults()
	err := w.Vars(&cfg).Apply(envconfig.Getenv(getenv))
	return cfg, errors.Join(err, cfg.Sink.Validate(), cfg.Store.Validate(), cfg.Admin.Validate())
}

// Main runs the writer until SIGTERM or SIGINT and exits with Exec's code.
func (w Writer[S, T]) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := w.Exec(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exec is the command: -h/-help lists the variables (exit 0), anything
// else on the command line is refused (exit 2); otherwise Run, exit 1 on
// an error.
func (w Writer[S, T]) Exec(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	def := w.Defaults()
	if exit, code := w.Vars(&def).Args(w.Name, args, stdout, stderr); exit {
		return code
	}
	if err := w.Run(ctx, getenv, stderr); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", w.Name, err)
		return 1
	}
	return 0
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
