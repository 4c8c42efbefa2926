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
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/services/notifier/internal/app"
	"github.com/footprint/footprint/services/notifier/internal/config"
)

func main() {
	help := flag.Bool("help", false, "list the environment variables and exit")
	flag.Parse()
	if *help {
		for _, v := range config.Vars() {
			fmt.Printf("%s\n    %s\n", v.Name, v.Help)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifier:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.FromEnv(os.Getenv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "notifier")
	return app.Run(ctx, cfg, os.Getenv, logger)
}
