package erase

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/footprint/footprint/store/ops"
)

func TestRecordRoundTripsItsSubject(t *testing.T) {
	for _, subj := range []ops.Subject{{Site: "a", Kind: ops.Visitor, ID: "v"}, {Site: "a", Kind: ops.User, ID: "u"}} {
		r := NewRecord(subj, "op", time.Now())
		if SubjectOf(r) != subj {
			t.Errorf("record %+v gives subject %+v, want %+v", r, SubjectOf(r), subj)
		}
	}
}

func TestPassedNeedsEveryMarkedPartition(t *testing.T) {
	m := Mark{0: 10, 2: 5}
	for _, c := range []struct {
		committed map[int32]int64
		want      bool
	}{
		{map[int32]int64{0: 10, 2: 5}, true},
		{map[int32]int64{0: 11, 1: 0, 2: 7}, true},
		{map[int32]int64{0: 9, 2: 5}, false},
		{map[int32]int64{0: 10}, false},
		{nil, false},
	} {
		if got := passed(c.committed, m); got != c.want {
			t.Errorf("passed(%v, %v) = %v, want %v", c.committed, m, got, c.want)
		}
	}
	if !passed(nil, Mark{}) {
		t.Error("an empty mark is not passed")
	}
}

func TestReadingCountsStableAssigneesAndRebalancingGroups(t *testing.T) {
	topic, other := "events", "other"
	member := func(topics ...*string) kafka.MemberDescription {
		var tps []kafka.TopicPartition
		for _, tp := range topics {
			tps = append(tps, kafka.TopicPartition{Topic: tp, Partition: 0})
		}
		return kafka.MemberDescription{Assignment: kafka.MemberAssignment{TopicPartitions: tps}}
	}
	f := GroupFence{Topic: topic}
	for _, c := range []struct {
		name string
		g    kafka.ConsumerGroupDescription
		want bool
	}{
		{"stable, assigned the topic", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStateStable, Members: []kafka.MemberDescription{member(&other), member(&topic)}}, true},
		{"stable, other topic only", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStateStable, Members: []kafka.MemberDescription{member(&other)}}, false},
		{"rebalancing, assignments cleared", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStatePreparingRebalance, Members: []kafka.MemberDescription{member()}}, true},
		{"completing rebalance", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStateCompletingRebalance, Members: []kafka.MemberDescription{member()}}, true},
		{"empty: no writer runs", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStateEmpty}, false},
		{"dead: deleted (a finished replay)", kafka.ConsumerGroupDescription{State: kafka.ConsumerGroupStateDead}, false},
	} {
		if got := f.reading(c.g); got != c.want {
			t.Errorf("%s: reading = %v, want %v", c.name, got, c.want)
		}
	}
}
