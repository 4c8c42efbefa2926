// Command footprint is the operations tool of the Footprint pipeline:
// consistency of the two stores, consumer lag, replay of a store from Kafka,
// erasure of a visitor or user, and the dead-letter topic. See
// docs/operations.md for the runbook and `footprint help` for the usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// No Logger: Run logs JSON to stderr at FOOTPRINT_LOG_LEVEL (warn by
	// default: the command's output is its report).
	code := cli.Run(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now})
	stop()
	os.Exit(code)
}
