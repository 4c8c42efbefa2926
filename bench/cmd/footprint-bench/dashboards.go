package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/footprint/footprint/bench/internal/dashboards"
)

// runDashboards is the `dashboards` subcommand (issue 12): PostgreSQL
// against ClickHouse on the web dashboard's query set. It writes
// <out>/dashboards.{md,json,png}.
func runDashboards(args []string) error {
	fs := flag.NewFlagSet("footprint-bench dashboards", flag.ContinueOnError)
	def := dashboards.DefaultConfig()
	quick := fs.Bool("quick", false, "smoke run for CI: 50k events, every view compared, the 30-day view timed once, no profiles; asserts identical answers, numbers meaningless (writes to <out>/quick/)")
	events := fs.Int("events", 0, "one data set of this many events instead of the scaling sizes")
	sizes := fs.String("sizes", "", "comma-separated event counts of the scaling curve, run in this order (default 1000000,3000000,10000000); the report lists them ascending, the profiles are taken at the largest")
	reps := fs.Int("reps", def.Budget.Reps, "timed repetitions per query and store")
	minReps := fs.Int("min-reps", def.Budget.Min, "repetitions a query gets even when they exceed the per-query budget")
	perQuery := fs.Duration("query-budget", def.Budget.PerQuery, "time budget per query and store; fewer reps (at least --min-reps) when reps x warm-up cost exceeds it")
	views := fs.String("views", "", "comma-separated views to measure (default all: 7d,30d,7d+page,30d+page)")
	seed := fs.Uint64("seed", def.Data.Seed, "data set seed")
	batch := fs.Int("batch", def.Batch, "events per WriteBatch")
	out := fs.String("out", "results", "results directory")
	prof := fs.Bool("profile", true, "profile the slowest panels at the largest size (PostgreSQL auto_explain, ClickHouse system.query_log)")
	keep := fs.Bool("keep", false, "keep the bench databases")
	verbose := fs.Bool("v", false, "debug logging (every query's timing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := def
	if *quick {
		cfg = dashboards.QuickConfig()
	}
	if *events > 0 {
		cfg.Sizes = []int{*events}
	}
	if *sizes != "" {
		cfg.Sizes = nil
		for _, f := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("--sizes: %w", err)
			}
			cfg.Sizes = append(cfg.Sizes, n)
		}
	}
	if *views != "" {
		cfg.Views = strings.Split(*views, ",")
	}
	if !*quick {
		cfg.Budget = dashboards.Budget{Reps: *reps, Min: *minReps, PerQuery: *perQuery}
	}
	cfg.Data.Seed, cfg.Batch, cfg.Keep = *seed, *batch, *keep
	cfg.Profile = *prof && !*quick
	cfg.Out = *out
	if *quick {
		cfg.Out = filepath.Join(*out, "quick")
	}
	cfg.Command = "footprint-bench dashboards " + strings.Join(args, " ")
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	rep, err := dashboards.Run(ctx, cfg, logger)
	if rep != nil {
		if werr := rep.Write(cfg.Out); werr != nil {
			return werr
		}
		logger.Info("results written", "dir", cfg.Out, "wall_seconds", int(time.Since(began).Seconds()))
	}
	return err
}
