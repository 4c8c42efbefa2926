// Command footprint-echo is the bench's bare gRPC echo server of the
// collector API (see internal/echo): the ceiling the bench puts next to the
// collector's single-event unary calls.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/footprint/footprint/bench/internal/echo"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := echo.Run(ctx, echo.ConfigFromEnv(os.Getenv), logger); err != nil {
		fmt.Fprintln(os.Stderr, "footprint-echo:", err)
		os.Exit(1)
	}
}
