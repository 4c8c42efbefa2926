package erasure_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/footprint/footprint/internal/testenv"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// send produces values (nil: a tombstone) to topic and waits for each.
func send(t *testing.T, brokers, topic string, values ...[]byte) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": brokers, "acks": "all", "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ch := make(chan kafka.Event, 1)
	for _, v := range values {
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key: []byte("k"), Value: v}, ch); err != nil {
			t.Fatal(err)
		}
		if m := (<-ch).(*kafka.Message); m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}

func record(t *testing.T, r erasure.Record) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t *testing.T, brokers, topic string) *erasure.View {
	t.Helper()
	v, err := erasure.Open(brokers, topic, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func sync(t *testing.T, v *erasure.View) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := v.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// A view reads the whole topic on its first Sync (a restarted writer has
// every erasure before its first write), skips tombstones and unreadable
// records, and each later Sync applies what was produced before it began.
func TestViewSyncReadsTheTopicToItsEnd(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 2)
	at := time.Now().UTC()
	send(t, brokers, topic, record(t, erasure.Record{Site: "s", Visitor: "v1", ErasedAt: at, Operator: "op"}), nil, []byte("garbage"))

	v := open(t, brokers, topic)
	ev := func(visitor, user string) *eventv1.Event {
		return &eventv1.Event{SiteId: "s", VisitorId: visitor, UserId: user}
	}
	if v.Erased(ev("v1", "")) {
		t.Fatal("erased before the first Sync")
	}
	sync(t, v)
	if !v.Erased(ev("v1", "")) || v.Erased(ev("v2", "")) || v.Len() != 1 {
		t.Fatalf("after Sync: v1 erased %v, v2 erased %v, %d subjects; want true, false, 1", v.Erased(ev("v1", "")), v.Erased(ev("v2", "")), v.Len())
	}

	send(t, brokers, topic, record(t, erasure.Record{Site: "s", User: "u1", ErasedAt: at, Operator: "op"}))
	sync(t, v)
	if !v.Erased(ev("v9", "u1")) || v.Len() != 2 {
		t.Fatalf("a record produced before Sync is not applied: %d subjects", v.Len())
	}

	restarted := open(t, brokers, topic)
	sync(t, restarted)
	if !restarted.Erased(ev("v1", "")) || !restarted.Erased(ev("", "u1")) || restarted.Len() != 2 {
		t.Fatalf("a new view holds %d subjects, want both erasures", restarted.Len())
	}
}

// A topic that does not exist holds no erasure: Sync succeeds, nothing is
// erased (writers on a stack without the topic keep writing).
func TestViewOfMissingTopicIsEmpty(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	v := open(t, brokers, testenv.UniqueName("no_such_topic"))
	sync(t, v)
	if v.Len() != 0 {
		t.Fatalf("%d subjects, want 0", v.Len())
	}
}
