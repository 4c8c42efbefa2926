// Command query answers dashboard queries from PostgreSQL, ClickHouse or
// both: gRPC (footprint.query.v1.QueryService, health, reflection), the same
// API as HTTP/JSON under /api/v1/ with the dashboard at /, and an admin port.
//
// Configuration comes from FOOTPRINT_* environment variables; `query -help`
// lists them with their defaults (README.md has the same table).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/services/query/internal/app"
	"github.com/footprint/footprint/services/query/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	cfg := config.Default()
	vars := config.Vars(&cfg)
	if exit, code := vars.Args("query", args, stdout, stderr); exit {
		return code
	}
	err := vars.Apply(lookup)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "query: config:", err)
		return 1
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "query")
	if err := app.Run(ctx, cfg, logger); err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	return 0
}
