package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footprint/footprint/cmd/footprint/internal/replay"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

func runReplay(ctx context.Context, a *app, args []string) (int, error) {
	fs := flags(a, "replay")
	storeName := fs.String("store", "", "store to rebuild: postgres or clickhouse (required)")
	fromBeginning := fs.Bool("from-beginning", false, "start at the oldest message Kafka keeps")
	from := fs.String("from", "", "start at the first message produced at or after this time (RFC 3339)")
	rebuild := fs.Bool("rebuild", false, "empty the store's events and keys first (a fresh replay only)")
	group := fs.String("group", "", "the replay's consumer group (default footprint-replay-<store>)")
	if err := parse(fs, args); err != nil {
		return ExitUsage, err
	}
	var start time.Time
	switch {
	case *fromBeginning == (*from != ""):
		return ExitUsage, usageErr("give exactly one of --from-beginning and --from TIME")
	case *from != "":
		t, err := time.Parse(time.RFC3339, *from)
		if err != nil {
			return ExitUsage, usageErr("--from: %v", err)
		}
		start = t
	}
	if *storeName != "postgres" && *storeName != "clickhouse" {
		return ExitUsage, usageErr("--store is postgres or clickhouse")
	}
	o, err := a.replayOptions(*storeName, *group, start, *rebuild)
	if err != nil {
		return ExitUsage, fmt.Errorf("%w: %w", errUsage, err)
	}
	target, closeTarget, err := a.openTarget(ctx, *storeName)
	if err != nil {
		return ExitFailed, err
	}
	defer closeTarget()
	r, admin, closeKafka, err := a.kafkaClients()
	defer closeKafka()
	if err != nil {
		return ExitFailed, err
	}
	erased, err := a.erasedSubjects(ctx)
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stderr, "replaying %s into %s (group %s), skipping the events of %d erased subjects\n",
		o.Sink.Topic, *storeName, o.Sink.Group, erased)
	res, err := replay.Replayer{Reader: r, Admin: admin, Progress: a.Stderr, Logger: a.Logger}.Run(ctx, o, target)
	if errors.Is(err, replay.ErrInterrupted) {
		return ExitInterrupted, err
	}
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stdout, "replayed %d messages into %s, skipped %d erased events\n", res.Messages, *storeName, res.Skipped)
	return ExitOK, nil
}

// replayOptions is the writers' consume-loop configuration (the same
// FOOTPRINT_KAFKA_* and FOOTPRINT_WRITER_* variables) with the replay's
// own group and writer name.
func (a *app) replayOptions(storeName, group string, from time.Time, rebuild bool) (replay.Options, error) {
	cfg := sink.DefaultConfig(storeName + "_replay")
	err := cfg.Vars().Apply(envconfig.Getenv(a.Getenv))
	cfg.Brokers, cfg.Topic, cfg.DLQTopic, cfg.ErasureTopic = a.cfg.Brokers, a.cfg.Topic, a.cfg.DLQTopic, a.cfg.ErasureTopic
	cfg.Group = "footprint-replay-" + storeName
	if group != "" {
		cfg.Group = group
	}
	return replay.Options{Sink: cfg, From: from, Rebuild: rebuild}, errors.Join(err, cfg.Validate())
}

// openTarget opens the store a replay rebuilds.
func (a *app) openTarget(ctx context.Context, name string) (replay.Target, func(), error) {
	if name == "postgres" {
		s, err := postgres.Open(ctx, a.cfg.Postgres, a.Logger)
		if err != nil {
			return nil, func() {}, fmt.Errorf("postgres: %w", err)
		}
		return s, func() { _ = s.Close() }, nil
	}
	s, err := clickhouse.Open(ctx, a.cfg.ClickHouse, a.Logger)
	if err != nil {
		return nil, func() {}, fmt.Errorf("clickhouse: %w", err)
	}
	return s, func() { _ = s.Close() }, nil
}

// erasedSubjects counts the subjects on the erasure topic now (the loop
// itself re-reads the topic before every write).
func (a *app) erasedSubjects(ctx context.Context) (int, error) {
	v, err := erasure.Open(a.cfg.Brokers, a.cfg.ErasureTopic, a.Logger)
	if err != nil {
		return 0, err
	}
	defer v.Close()
	if err := v.Sync(ctx); err != nil {
		return 0, fmt.Errorf("read erasures: %w", err)
	}
	return v.Len(), nil
}
