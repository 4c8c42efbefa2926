// Command footprint is the operations tool of the Footprint pipeline:
// consistency of the two stores, consumer lag, replay of a store from Kafka,
// erasure of a visitor or user, and the dead-letter topic. See
// docs/operations.md for the runbook and `footprint help` for the usage.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/cli"
	"github.com/footprint/footprint/internal/envconfig"
)

func main() {
	// Warnings and errors only by default: the command's output is its report.
	level := slog.LevelWarn
	env := envconfig.New(os.Getenv)
	env.LogLevel("FOOTPRINT_LOG_LEVEL", &level)
	if err := env.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "footprint: config: %v\n", err)
		os.Exit(cli.ExitUsage)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, Logger: logger})
	stop()
	os.Exit(code)
}
