// Command footprint-bench runs the benchmark suite against the local stack
// and writes <out>/latest.md, latest.json and latest.png. See bench/README.md.
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

	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/suite"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "footprint-bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// `footprint-bench dashboards ...`: PostgreSQL vs ClickHouse on the
	// dashboard's queries (dashboards.go, bench/internal/dashboards).
	if len(args) > 0 && args[0] == "dashboards" {
		return runDashboards(args[1:])
	}
	fs := flag.NewFlagSet("footprint-bench", flag.ContinueOnError)
	scenarios := fs.String("scenarios", strings.Join(suite.AllScenarios, ","), "scenarios to run, comma-separated: 1 collector ingest, 2 pg-writer drain, 3 ch-writer drain, 4 end to end (the drains and end to end pre-fill their topic without 1)")
	quick := fs.Bool("quick", false, "smoke run with tiny sizes (seconds; for CI): every scenario and ratio, meaningless numbers")
	def := suite.DefaultConfig()
	events := fs.Int("events", 0, fmt.Sprintf("events pre-filled for the writer drains and sent by the raw producer (default %d; quick %d)", def.Events, suite.QuickConfig().Events))
	out := fs.String("out", def.Out, "results directory (--quick writes into its quick/ subfolder, git-ignored)")
	partitions := fs.Int("partitions", 0, fmt.Sprintf("partitions of every topic (default %d)", def.Partitions))
	clients := fs.Int("clients", 0, fmt.Sprintf("concurrent gRPC clients at batch 1000 and end to end (default %d)", def.Clients))
	clients100 := fs.Int("clients-100", 0, fmt.Sprintf("concurrent gRPC clients at batch 100 (default %d)", def.Clients100))
	clientsUnary := fs.Int("clients-unary", 0, fmt.Sprintf("concurrent gRPC clients sending one event per unary call, to the collector and the echo server (default %d)", def.UnaryClients))
	batches := fs.String("batch-sizes", "", "events per Ingest request, comma-separated: 1000 (with --clients), 100 (--clients-100), 1 (unary, --clients-unary) (default 1000,100,1)")
	repeats := fs.Int("repeats", 0, fmt.Sprintf("runs of every measurement, interleaved baseline/candidate; medians are reported (default %d; quick %d)", def.Repeats, suite.QuickConfig().Repeats))
	window := fs.Int("stream-window", 0, fmt.Sprintf("batches in flight per IngestStream (default %d)", def.StreamWindow))
	ingestCap := fs.Duration("ingest-cap", 0, fmt.Sprintf("time cap of each collector variant and of the end-to-end max-rate phase (default %v)", def.IngestCap))
	sample := fs.Int("per-message-sample", 0, fmt.Sprintf("messages per per-message baseline (default %d)", def.PerMessageSample))
	sampleCap := fs.Duration("per-message-cap", 0, fmt.Sprintf("time cap of each per-message baseline (default %v)", def.PerMessageCap))
	e2e := fs.Int("e2e-events", 0, fmt.Sprintf("events of the end-to-end max-rate phase (default %d)", def.E2EEvents))
	e2eCap := fs.Duration("e2e-cap", 0, fmt.Sprintf("time cap of the end-to-end max-rate ingest (default %v)", def.E2ECap))
	latDur := fs.Duration("latency-duration", 0, fmt.Sprintf("length of each latency phase (default %v)", def.LatencyDuration))
	writerBatch := fs.Int("writer-batch-events", 0, "FOOTPRINT_WRITER_BATCH_MAX_EVENTS for both writers (default: the writers' own)")
	writerWait := fs.Duration("writer-batch-wait", 0, "FOOTPRINT_WRITER_BATCH_MAX_WAIT for both writers (default: the writers' own)")
	var serviceEnv listFlag
	fs.Var(&serviceEnv, "service-env", "KEY=VALUE added to every service's environment (repeatable)")
	profile := fs.Bool("profile", false, "capture CPU profiles of the services under load into <out>/*.prof")
	profileSecs := fs.Int("profile-seconds", 0, fmt.Sprintf("length of each CPU profile (default %d)", def.ProfileSeconds))
	keep := fs.Bool("keep", false, "keep topics, databases and service logs for inspection")
	reasons := fs.String("reasons", "", "file of `id: reason` lines shown in the targets table (ids are in its first column)")
	render := fs.String("render", "", "render this latest.json again into --out (with --reasons) instead of running")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *render != "" {
		return rerender(*render, *reasons, *out)
	}
	cfg := def
	if *quick {
		cfg = suite.QuickConfig()
	}
	setInt := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	setDur := func(dst *time.Duration, v time.Duration) {
		if v > 0 {
			*dst = v
		}
	}
	setInt(&cfg.Events, *events)
	setInt(&cfg.Partitions, *partitions)
	setInt(&cfg.Clients, *clients)
	setInt(&cfg.Clients100, *clients100)
	setInt(&cfg.UnaryClients, *clientsUnary)
	setInt(&cfg.Repeats, *repeats)
	setInt(&cfg.StreamWindow, *window)
	setInt(&cfg.PerMessageSample, *sample)
	setInt(&cfg.E2EEvents, *e2e)
	setInt(&cfg.ProfileSeconds, *profileSecs)
	setDur(&cfg.IngestCap, *ingestCap)
	setDur(&cfg.E2ECap, *e2eCap)
	setDur(&cfg.PerMessageCap, *sampleCap)
	setDur(&cfg.LatencyDuration, *latDur)
	cfg.WriterBatchEvents = *writerBatch
	cfg.WriterBatchWait = *writerWait
	cfg.ServiceEnv = serviceEnv
	cfg.Profile = *profile
	cfg.Keep = *keep
	cfg.Out = *out
	if *quick {
		// A smoke run must never overwrite the committed full results.
		cfg.Out = filepath.Join(*out, "quick")
	}
	cfg.Scenarios = strings.Split(*scenarios, ",")
	if *batches != "" {
		cfg.BatchSizes = nil
		for _, f := range strings.Split(*batches, ",") {
			b, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("--batch-sizes: %w", err)
			}
			cfg.BatchSizes = append(cfg.BatchSizes, b)
		}
	}
	cfg.Command = "footprint-bench " + strings.Join(args, " ")

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := suite.Run(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if err := applyReasons(rep, *reasons); err != nil {
		return err
	}
	if err := rep.Write(cfg.Out); err != nil {
		return err
	}
	logger.Info("results written", "dir", cfg.Out, "wall_seconds", int(rep.WallSeconds))
	return nil
}

// applyReasons adds the reasons of file (if any) to rep's targets.
func applyReasons(rep *report.Report, file string) error {
	if file == "" {
		return nil
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--reasons: %w", err)
	}
	if err := rep.ApplyReasons(string(text)); err != nil {
		return fmt.Errorf("--reasons %s: %w", file, err)
	}
	return nil
}

// rerender writes the report in jsonPath again into out, with reasons.
func rerender(jsonPath, reasons, out string) error {
	rep, err := report.Read(jsonPath)
	if err != nil {
		return err
	}
	if err := applyReasons(rep, reasons); err != nil {
		return err
	}
	return rep.Write(out)
}
