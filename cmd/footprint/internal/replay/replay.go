// Package replay rebuilds one store from the events topic. It runs the
// writers' own consume loop (internal/sink: decoding, the storable check,
// batching, dead letters, commit after write) in a consumer group of its
// own, over the store package's WriteBatch, so running next to the live
// writer is safe: writes are idempotent by event_id. Events of erased
// visitors and users are skipped by the loop itself (internal/sink syncs
// its erasure view before every write, as the live writers do).
//
// Progress is the group's committed offsets against the topic's end at the
// start. Interrupted, the loop writes and commits its current batch and the
// next run resumes from the group's offsets; a finished replay deletes its
// group, so the next replay starts afresh.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/internal/sink"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
)

// pollEvery is how often progress (the group's committed offsets) is read.
const pollEvery = 500 * time.Millisecond

// ErrInterrupted is returned when the replay was stopped before the end;
// the next run resumes.
var ErrInterrupted = errors.New("replay interrupted: run the same command again to resume")

// Target is the store being rebuilt.
type Target interface {
	sink.Store
	Migrate(ctx context.Context) error
	Rebuild(ctx context.Context) error
}

// Options say where the replay starts and what it writes.
type Options struct {
	// Sink is the consume loop's configuration; its Group is the replay's
	// own group and its Writer the name in metrics and dead letters.
	Sink sink.Config
	// From is where a fresh replay starts; zero: the oldest message kept.
	From time.Time
	// Rebuild empties the store first (fresh replays only).
	Rebuild bool
}

// Result is what the replay did.
type Result struct {
	Messages int64 // offsets covered
	Skipped  int64 // events skipped as erased
	Resumed  bool
}

// Replayer holds the connections a replay needs.
type Replayer struct {
	Reader   *kafkaio.Reader
	Admin    *kafka.AdminClient
	Progress io.Writer
	Logger   *slog.Logger
}

// Run replays the topic into target until the end offsets read at the start.
func (r Replayer) Run(ctx context.Context, o Options, target Target) (Result, error) {
	topic, group := o.Sink.Topic, o.Sink.Group
	start, end, resumed, err := r.plan(ctx, o)
	if err != nil {
		return Result{}, err
	}
	res := Result{Resumed: resumed}
	if resumed {
		fmt.Fprintf(r.Progress, "resuming from the committed offsets of %s\n", group)
	}
	if err := target.Migrate(ctx); err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	if o.Rebuild && !resumed {
		if err := target.Rebuild(ctx); err != nil {
			return res, fmt.Errorf("rebuild: %w", err)
		}
	}
	if !resumed {
		if err := r.setOffsets(ctx, group, topic, start); err != nil {
			return res, err
		}
	}
	var total int64
	for p, e := range end {
		total += max(e-start[p], 0)
	}
	res.Skipped, err = r.consume(ctx, o.Sink, target, start, end, total)
	res.Messages = total
	if err != nil {
		return res, err
	}
	// Finished: forget the group so the next replay starts where it is told.
	if _, err := r.Admin.DeleteConsumerGroups(ctx, []string{group}); err != nil {
		return res, fmt.Errorf("delete replay group %s: %w", group, err)
	}
	return res, nil
}

// plan returns each partition's start and end offset; a group with
// committed offsets resumes from them.
func (r Replayer) plan(ctx context.Context, o Options) (start, end map[int32]int64, resumed bool, err error) {
	topic := o.Sink.Topic
	parts, err := r.Reader.Partitions(topic)
	if err != nil {
		return nil, nil, false, err
	}
	committed, err := r.Reader.Committed(ctx, o.Sink.Group, topic)
	if err != nil {
		return nil, nil, false, err
	}
	var fromTime map[int32]int64
	if !o.From.IsZero() && len(committed) == 0 {
		if fromTime, err = r.Reader.OffsetsForTime(topic, parts, o.From); err != nil {
			return nil, nil, false, err
		}
	}
	start, end = map[int32]int64{}, map[int32]int64{}
	for _, p := range parts {
		low, high, err := r.Reader.Watermarks(topic, p)
		if err != nil {
			return nil, nil, false, err
		}
		end[p] = high
		switch c, ok := committed[p]; {
		case ok:
			start[p] = max(c, low)
		case fromTime != nil:
			start[p] = max(fromTime[p], low)
		default:
			start[p] = low
		}
	}
	return start, end, len(committed) > 0, nil
}

// setOffsets commits the start offsets for the replay group, so its
// consume loop begins there.
func (r Replayer) setOffsets(ctx context.Context, group, topic string, start map[int32]int64) error {
	tps := make([]kafka.TopicPartition, 0, len(start))
	for p, off := range start {
		tps = append(tps, kafka.TopicPartition{Topic: &topic, Partition: p, Offset: kafka.Offset(off)})
	}
	res, err := r.Admin.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: tps}})
	if err != nil {
		return fmt.Errorf("set start offsets of %s: %w", group, err)
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Error != nil {
				return fmt.Errorf("set start offset of %s partition %d: %w", group, tp.Partition, tp.Error)
			}
		}
	}
	return nil
}

// consume runs the consume loop until the group has committed every end
// offset, showing progress, or until ctx ends (interrupted).
// It returns how many events the loop skipped as erased.
func (r Replayer) consume(ctx context.Context, cfg sink.Config, store sink.Store, start, end map[int32]int64, total int64) (int64, error) {
	if total == 0 {
		fmt.Fprintln(r.Progress, "nothing to replay: the group is at the end of every partition")
		return 0, nil
	}
	reg := prometheus.NewRegistry()
	loop, err := sink.New(cfg, store, reg, r.Logger)
	if err != nil {
		return 0, fmt.Errorf("consume loop: %w", err)
	}
	err = r.follow(ctx, loop, cfg, start, end, total)
	return erasedSkipped(reg), err
}

// follow runs loop and shows its progress until it has committed every end
// offset or ctx ends.
func (r Replayer) follow(ctx context.Context, loop *sink.Loop, cfg sink.Config, start, end map[int32]int64, total int64) error {
	loopCtx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- loop.Run(loopCtx) }()
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(r.Progress),
		progressbar.OptionSetDescription("replay "+cfg.Topic+" -> "+cfg.Writer),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("msg"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(pollEvery),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.Progress) }),
	)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case err := <-done: // the loop stopped by itself: a fatal error
			if err == nil {
				err = errors.New("stopped before the end")
			}
			return fmt.Errorf("consume loop: %w", err)
		case <-ctx.Done():
			stop() // writes and commits the current batch, then leaves the group
			if err := <-done; err != nil {
				return errors.Join(ErrInterrupted, err)
			}
			return ErrInterrupted
		case <-t.C:
		}
		committed, err := r.Reader.Committed(ctx, cfg.Group, cfg.Topic)
		if err != nil {
			continue // ctx ended, or a transient admin error: the next tick tells
		}
		covered, finished := progress(committed, start, end)
		_ = bar.Set64(covered)
		if finished {
			_ = bar.Finish()
			stop()
			return <-done
		}
	}
}

// progress returns the offsets covered and whether every partition has
// been committed up to its end.
func progress(committed, start, end map[int32]int64) (int64, bool) {
	var covered int64
	finished := true
	for p, e := range end {
		c, ok := committed[p]
		if !ok {
			c = start[p]
		}
		covered += max(min(c, e)-start[p], 0)
		if c < e {
			finished = false
		}
	}
	return covered, finished
}

// erasedSkipped reads the loop's count of events skipped as erased.
func erasedSkipped(reg *prometheus.Registry) int64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == sink.ErasedSkippedMetric && len(mf.GetMetric()) == 1 {
			return int64(mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	return 0
}
