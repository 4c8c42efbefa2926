package erase

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
)

// fencePoll is how often GroupFence reads the groups' committed offsets.
const fencePoll = 200 * time.Millisecond

// GroupFence waits for the consumer groups that write the events topic
// into a store: the live writers and any running replay. A writer takes an
// erasure into account from the first write whose erasure sync began after
// the record was acknowledged; a batch synced before may still write the
// subject's events after the first deletion. Such a batch holds only
// messages below the events topic's end offsets taken after the record was
// acknowledged (Mark), and a writer commits a batch only after writing it,
// in offset order. So once a group has committed at least Mark on every
// partition, all its writes that could have missed the erasure are done,
// and the second deletion removes them for good. Only groups with a member
// assigned a partition of the topic can be writing; the others are skipped.
type GroupFence struct {
	Reader *kafkaio.Reader
	Admin  *kafka.AdminClient
	Topic  string
	// Groups limits the wait to these groups; empty: every group consuming
	// Topic now.
	Groups []string
}

// Mark returns the events topic's end offsets, leaving out partitions that
// hold nothing.
func (f GroupFence) Mark(ctx context.Context) (Mark, error) {
	parts, err := f.Reader.Partitions(f.Topic)
	if err != nil {
		return nil, err
	}
	m := Mark{}
	for _, p := range parts {
		low, high, err := f.Reader.Watermarks(f.Topic, p)
		if err != nil {
			return nil, err
		}
		if high > low {
			m[p] = high
		}
	}
	return m, nil
}

// Wait polls until every active group has committed m, or ctx ends. It
// returns a line saying what it waited for.
func (f GroupFence) Wait(ctx context.Context, m Mark) (string, error) {
	start := time.Now()
	active, err := f.active(ctx)
	if err != nil {
		return "", err
	}
	for _, g := range active {
		if err := f.waitGroup(ctx, g, m); err != nil {
			return "", err
		}
	}
	if len(active) == 0 {
		return "no consumer group is reading " + f.Topic + ": no writer to wait for", nil
	}
	return fmt.Sprintf("writers %s passed the erasure after %.1fs", strings.Join(active, ", "), time.Since(start).Seconds()), nil
}

// active returns the groups (Groups, or all) with a member assigned a
// partition of Topic.
func (f GroupFence) active(ctx context.Context) ([]string, error) {
	groups, err := f.candidates(ctx)
	if err != nil || len(groups) == 0 {
		return nil, err
	}
	res, err := f.Admin.DescribeConsumerGroups(ctx, groups)
	if err != nil {
		return nil, fmt.Errorf("describe consumer groups: %w", err)
	}
	var active []string
	for _, g := range res.ConsumerGroupDescriptions {
		if g.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("describe group %s: %w", g.GroupID, g.Error)
		}
		if f.reading(g) {
			active = append(active, g.GroupID)
		}
	}
	return active, nil
}

// candidates is Groups, or every group that has members now.
func (f GroupFence) candidates(ctx context.Context) ([]string, error) {
	if len(f.Groups) > 0 {
		return f.Groups, nil
	}
	res, err := f.Admin.ListConsumerGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list consumer groups: %w", err)
	}
	var groups []string
	for _, g := range res.Valid {
		switch g.State {
		case kafka.ConsumerGroupStateEmpty, kafka.ConsumerGroupStateDead:
		default:
			groups = append(groups, g.GroupID)
		}
	}
	return groups, nil
}

// stillReads reports whether group has a member assigned a partition of Topic.
func (f GroupFence) stillReads(ctx context.Context, group string) (bool, error) {
	res, err := f.Admin.DescribeConsumerGroups(ctx, []string{group})
	if err != nil {
		return false, fmt.Errorf("describe group %s: %w", group, err)
	}
	for _, g := range res.ConsumerGroupDescriptions {
		if g.Error.Code() == kafka.ErrNoError && f.reading(g) {
			return true, nil
		}
	}
	return false, nil
}

// reading reports whether g may be writing Topic: a stable group with a
// member assigned one of its partitions, or any group in a rebalance (the
// coordinator clears the assignments it reports until the rebalance ends,
// while a revoked member may still finish its write).
func (f GroupFence) reading(g kafka.ConsumerGroupDescription) bool {
	switch g.State {
	case kafka.ConsumerGroupStateEmpty, kafka.ConsumerGroupStateDead:
		return false
	case kafka.ConsumerGroupStateStable:
		return f.reads(g)
	default:
		return len(g.Members) > 0
	}
}

// reads reports whether a member of g is assigned a partition of Topic.
func (f GroupFence) reads(g kafka.ConsumerGroupDescription) bool {
	for _, m := range g.Members {
		for _, tp := range m.Assignment.TopicPartitions {
			if tp.Topic != nil && *tp.Topic == f.Topic {
				return true
			}
		}
	}
	return false
}

// waitGroup returns once group has committed m or no longer reads Topic (a
// finished replay deletes its group; a stopped writer does not write, and
// when it starts again its first write already skips the subject).
func (f GroupFence) waitGroup(ctx context.Context, group string, m Mark) error {
	t := time.NewTicker(fencePoll)
	defer t.Stop()
	for {
		committed, err := f.Reader.Committed(ctx, group, f.Topic)
		if err == nil && passed(committed, m) {
			return nil
		}
		if still, derr := f.stillReads(ctx, group); derr == nil && !still {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("group %s has not committed past %v (committed %v, last error %v): %w", group, m, committed, err, ctx.Err())
		case <-t.C:
		}
	}
}

// passed reports whether committed is at or past m on every partition.
func passed(committed map[int32]int64, m Mark) bool {
	for p, end := range m {
		if c, ok := committed[p]; !ok || c < end {
			return false
		}
	}
	return true
}
