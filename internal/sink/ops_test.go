package sink_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// memStore keeps written events by id; while held, every write fails (the
// loop then holds its batch, partitions paused).
type memStore struct {
	mu     sync.Mutex
	held   bool
	events map[string]*eventv1.Event
}

func newMemStore() *memStore { return &memStore{events: map[string]*eventv1.Event{}} }

func (s *memStore) WriteBatch(_ context.Context, evs []*eventv1.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		return errors.New("store held by the test")
	}
	for _, ev := range evs {
		s.events[ev.GetEventId()] = ev
	}
	return nil
}

func (s *memStore) Ping(context.Context) error { return nil }

func (s *memStore) hold(h bool) { s.mu.Lock(); s.held = h; s.mu.Unlock() }

// visitors counts the stored events per visitor.
func (s *memStore) visitors() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, ev := range s.events {
		out[ev.GetVisitorId()]++
	}
	return out
}

type opsFixture struct {
	brokers, topic, erasures, group string
}

func newOpsFixture(t *testing.T) opsFixture {
	brokers := testenv.KafkaBrokers(t)
	return opsFixture{brokers: brokers, topic: testenv.NewTopic(t, brokers, 2), erasures: testenv.NewTopic(t, brokers, 1),
		group: testenv.UniqueName("ops_writer")}
}

// start runs a loop on the fixture's topics into store until the test ends
// or stop is called; it returns the loop's metrics registry.
func (f opsFixture) start(t *testing.T, store sink.Store) (*prometheus.Registry, func()) {
	t.Helper()
	cfg := sink.DefaultConfig("pg_writer")
	cfg.Brokers, cfg.Topic, cfg.DLQTopic, cfg.Group, cfg.ErasureTopic = f.brokers, f.topic, f.topic+".dlq", f.group, f.erasures
	cfg.BatchMaxWait, cfg.RetryInitial, cfg.RetryMax = 50*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond
	reg := prometheus.NewRegistry()
	loop, err := sink.New(cfg, store, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := loop.Run(ctx); err != nil {
			t.Errorf("loop: %v", err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return reg, stop
}

// send produces messages to topic and waits for every delivery.
func (f opsFixture) send(t *testing.T, topic string, msgs ...*kafka.Message) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": f.brokers, "acks": "all", "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ch := make(chan kafka.Event, 1)
	for _, m := range msgs {
		m.TopicPartition = kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}
		if err := p.Produce(m, ch); err != nil {
			t.Fatal(err)
		}
		if d := (<-ch).(*kafka.Message); d.TopicPartition.Error != nil {
			t.Fatal(d.TopicPartition.Error)
		}
	}
}

// events produces n events of visitor on site "s".
func (f opsFixture) events(t *testing.T, visitor string, n int) {
	t.Helper()
	msgs := make([]*kafka.Message, n)
	for i := range msgs {
		now := time.Now()
		ev := &eventv1.Event{EventId: uuid.NewString(), SiteId: "s", Name: "page_view", VisitorId: visitor,
			OccurredAt: timestamppb.New(now), ReceivedAt: timestamppb.New(now), Page: &eventv1.Page{Path: "/"}}
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = &kafka.Message{Key: wire.MessageKey("s", visitor), Value: b,
			Headers: []kafka.Header{{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)}}}
	}
	f.send(t, f.topic, msgs...)
}

// erase records the erasure of visitor on site "s".
func (f opsFixture) erase(t *testing.T, visitor string) {
	t.Helper()
	rec := erasure.Record{Site: "s", Visitor: visitor, ErasedAt: time.Now().UTC(), Operator: "test"}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, f.erasures, &kafka.Message{Key: []byte(rec.Key()), Value: b})
}

// metric returns the maximum of the series of name in reg and how many
// series it has.
func metric(t *testing.T, reg *prometheus.Registry, name string) (float64, int) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		top := 0.0
		for _, m := range mf.GetMetric() {
			top = max(top, m.GetGauge().GetValue(), m.GetCounter().GetValue())
		}
		return top, len(mf.GetMetric())
	}
	return 0, 0
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The loop writes no event of an erased visitor: erased before the loop
// started, erased while it runs (events produced after the erasure record),
// and erased while it was stopped (a restarted loop rebuilds the set from
// the compacted topic before its first write).
func TestLoopSkipsErasedSubjectsAndRebuildsTheSetOnRestart(t *testing.T) {
	f := newOpsFixture(t)
	store := newMemStore()
	f.erase(t, "gone")
	f.events(t, "gone", 5)
	f.events(t, "kept", 5)
	reg, stop := f.start(t, store)
	const skipped = "footprint_writer_erased_skipped_total"
	eventually(t, time.Minute, "5 kept written, 5 skipped", func() bool {
		n, _ := metric(t, reg, skipped)
		return store.visitors()["kept"] == 5 && n == 5
	})

	f.erase(t, "kept") // live: the loop is running
	f.events(t, "kept", 3)
	f.events(t, "other", 2)
	eventually(t, time.Minute, "other written, 3 more skipped", func() bool {
		n, _ := metric(t, reg, skipped)
		return store.visitors()["other"] == 2 && n == 8
	})

	stop()
	f.erase(t, "late")
	f.events(t, "late", 4)
	f.events(t, "other", 2)
	reg, _ = f.start(t, store)
	eventually(t, time.Minute, "the restarted loop to write other and skip late", func() bool {
		n, _ := metric(t, reg, skipped)
		return store.visitors()["other"] == 4 && n == 4
	})
	got := store.visitors()
	if got["gone"] != 0 || got["late"] != 0 || got["kept"] != 5 {
		t.Fatalf("stored per visitor %v; want gone 0, late 0, kept 5 (written before its erasure)", got)
	}
}

// footprint_writer_oldest_unwritten_age_seconds grows while the store holds
// the batch back (close to the time since the events were produced) and
// returns to 0 once the loop has written and committed them.
func TestOldestUnwrittenAgeWhileHeldAndAfterCatchUp(t *testing.T) {
	f := newOpsFixture(t)
	store := newMemStore()
	store.hold(true)
	reg, _ := f.start(t, store)
	produced := time.Now()
	f.events(t, "a", 6)
	const age = "footprint_writer_oldest_unwritten_age_seconds"
	eventually(t, time.Minute, "the age to pass 1s", func() bool { a, _ := metric(t, reg, age); return a >= 1 })
	a1, series := metric(t, reg, age)
	if limit := time.Since(produced).Seconds() + ageSlack; a1 > limit || series == 0 {
		t.Fatalf("age %.2fs over %d series; want at most %.2fs (time since produced) and a series", a1, series, limit)
	}
	eventually(t, time.Minute, "the age to keep growing while held", func() bool { a, _ := metric(t, reg, age); return a > a1 })

	store.hold(false)
	eventually(t, time.Minute, "the age to return to 0 after catching up", func() bool {
		a, n := metric(t, reg, age)
		return a == 0 && n > 0 && store.visitors()["a"] == 6
	})
}

// ageSlack is the age's allowed excess: the tracker's resolution plus
// clock steps between producer and test.
const ageSlack = 0.2
