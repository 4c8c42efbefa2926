// Command query answers dashboard queries from PostgreSQL, ClickHouse or
// both: gRPC (footprint.query.v1.QueryService, health, reflection), the same
// API as HTTP/JSON under /api/v1/ with the dashboard at /, and an admin port.
//
// Configuration comes from FOOTPRINT_* environment variables; `query -help`
// lists them with their defaults (README.md has the same table).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/services/query/internal/app"
	"github.com/footprint/footprint/services/query/internal/config"
)

func main() {
	help := flag.Bool("help", false, "list the environment variables and exit")
	flag.Parse()
	if *help {
		def := config.Default()
		for _, v := range config.Vars() {
			fmt.Printf("%s (default %q)\n    %s\n", v.Name, v.Default(&def), v.Help)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "query:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.FromEnv(os.LookupEnv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("config: FOOTPRINT_LOG_LEVEL: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("service", "query")
	return app.Run(ctx, cfg, logger)
}
