package sink

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// The tracker reports, per partition, the age of the oldest consumed but
// uncommitted message; a commit inside a sample keeps the sample's time
// (at most ageResolution too old), past it the next sample's, and 0 once
// everything consumed is committed; a revoked partition disappears.
func TestAgeTrackerFollowsConsumeAndCommit(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base.Add(10 * time.Second)
	a := newAgeTracker("w")
	a.now = func() time.Time { return now }
	topic := "t"
	msg := func(p int32, off int64, at time.Duration) *kafka.Message {
		return &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: p, Offset: kafka.Offset(off)}, Timestamp: base.Add(at)}
	}
	commit := func(p int32, off int64) {
		a.committed([]kafka.TopicPartition{{Topic: &topic, Partition: p, Offset: kafka.Offset(off)}})
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(a); err != nil {
		t.Fatal(err)
	}
	series := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "partition" {
						out[l.GetValue()] = m.GetGauge().GetValue()
					}
				}
			}
		}
		return out
	}
	age := func(p string) float64 { return series()[p] }
	a.consumed(msg(0, 10, 0))
	a.consumed(msg(0, 11, 50*time.Millisecond)) // same sample
	a.consumed(msg(0, 12, 2*time.Second))       // new sample
	a.consumed(msg(1, 5, time.Second))
	if got := age("0"); got != 10 {
		t.Fatalf("partition 0: %v, want 10 (the first message)", got)
	}
	commit(0, 11) // inside the first sample: offset 11 is still unwritten
	if got := age("0"); got != 10 {
		t.Fatalf("after commit 11: %v, want 10 (the sample's time)", got)
	}
	commit(0, 12)
	if got := age("0"); got != 8 {
		t.Fatalf("after commit 12: %v, want 8 (offset 12)", got)
	}
	commit(0, 13)
	if got := age("0"); got != 0 {
		t.Fatalf("all committed: %v, want 0", got)
	}
	if got := age("1"); got != 9 {
		t.Fatalf("partition 1: %v, want 9", got)
	}
	a.forget(topic, 1)
	if got := series(); len(got) != 1 {
		t.Fatalf("series %v after revoking partition 1, want partition 0 only", got)
	}
}
