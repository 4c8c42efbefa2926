// Command notifier turns comment and like events on footprint.events.v1
// into notifications: an inbox in PostgreSQL (schema notifier) served by
// footprint.notifier.v1.NotificationService (list, unread count, mark read,
// live Subscribe), and signed webhooks with retries and a dead-letter topic.
//
// Configuration comes from FOOTPRINT_* environment variables; `notifier
// -help` lists them with their defaults (README.md has the same table).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/services/notifier/internal/app"
	"github.com/footprint/footprint/services/notifier/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	def := config.Default()
	if exit, code := config.Vars(&def).Args("notifier", args, stdout, stderr); exit {
		return code
	}
	cfg, err := config.FromEnv(getenv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "notifier: config:", err)
		return 1
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "notifier")
	if err := app.Run(ctx, cfg, getenv, logger); err != nil {
		fmt.Fprintln(stderr, "notifier:", err)
		return 1
	}
	return 0
}
