// Package lag measures how far consumer groups are behind on the events
// topic: per partition and in total, the messages not yet committed and the
// age of the oldest of them (read at the committed offset), which is what
// tells an on-call person how stale a store is.
package lag

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
)

// DefaultGroups are the writers' consumer groups.
func DefaultGroups() []string { return []string{"footprint-pg-writer", "footprint-ch-writer"} }

// Partition is one partition's lag for a group.
type Partition struct {
	Partition int32 `json:"partition"`
	// Committed is the group's committed offset, -1 when it has none (it
	// then starts at the oldest message kept).
	Committed int64 `json:"committed"`
	End       int64 `json:"end"`
	Lag       int64 `json:"lag"`
	// OldestAgeSeconds is how long ago the oldest unwritten message was
	// produced; 0 without lag.
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
}

// Group is one consumer group's lag on the topic.
type Group struct {
	Group            string      `json:"group"`
	Topic            string      `json:"topic"`
	Lag              int64       `json:"lag"`
	OldestAgeSeconds float64     `json:"oldest_age_seconds"`
	Partitions       []Partition `json:"partitions"`
}

// Measure returns the lag of each group on topic.
func Measure(ctx context.Context, r *kafkaio.Reader, topic string, groups []string, now time.Time) ([]Group, error) {
	parts, err := r.Partitions(topic)
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		gl, err := measureGroup(ctx, r, topic, g, parts, now)
		if err != nil {
			return nil, err
		}
		out = append(out, gl)
	}
	return out, nil
}

func measureGroup(ctx context.Context, r *kafkaio.Reader, topic, group string, parts []int32, now time.Time) (Group, error) {
	committed, err := r.Committed(ctx, group, topic)
	if err != nil {
		return Group{}, err
	}
	gl := Group{Group: group, Topic: topic}
	var lagging []kafkaio.Range
	index := map[int32]int{}
	for _, p := range parts {
		low, high, err := r.Watermarks(topic, p)
		if err != nil {
			return Group{}, err
		}
		c, ok := committed[p]
		start := max(c, low) // below low: retention deleted what was never written
		if !ok {
			c, start = -1, low
		}
		pl := Partition{Partition: p, Committed: c, End: high, Lag: max(high-start, 0)}
		if pl.Lag > 0 {
			lagging = append(lagging, kafkaio.Range{Partition: p, From: start, Max: 1})
		}
		index[p] = len(gl.Partitions)
		gl.Partitions = append(gl.Partitions, pl)
		gl.Lag += pl.Lag
	}
	// The oldest unwritten message of each lagging partition is the first
	// one at or after its start.
	err = r.Read(ctx, topic, lagging, func(m *kafka.Message) error {
		age := max(now.Sub(m.Timestamp).Seconds(), 0)
		gl.Partitions[index[m.TopicPartition.Partition]].OldestAgeSeconds = age
		gl.OldestAgeSeconds = max(gl.OldestAgeSeconds, age)
		return nil
	})
	return gl, err
}

// WriteText prints one table per group.
func WriteText(w io.Writer, groups []Group) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "group\ttopic\tpartition\tcommitted\tend\tlag\toldest unwritten (s)\n")
	for _, g := range groups {
		for _, p := range g.Partitions {
			committed := fmt.Sprint(p.Committed)
			if p.Committed < 0 {
				committed = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%.1f\n", g.Group, g.Topic, p.Partition, committed, p.End, p.Lag, p.OldestAgeSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\ttotal\t\t\t%d\t%.1f\n", g.Group, g.Topic, g.Lag, g.OldestAgeSeconds)
	}
	return tw.Flush()
}

// WriteJSON prints the groups as one JSON document.
func WriteJSON(w io.Writer, groups []Group) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"groups": groups})
}
