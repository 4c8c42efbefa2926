package sink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	topic      = "events"
	dlqTopic   = "events.dlq"
	partitions = 3
)

// fakeStore records what was written and can be switched to fail.
type fakeStore struct {
	mu       sync.Mutex
	events   map[string]*eventv1.Event
	batches  []int
	failing  bool
	failures int
	// failAfter > 0: every write after that many successful batches fails.
	failAfter int
}

func newFakeStore() *fakeStore { return &fakeStore{events: map[string]*eventv1.Event{}} }

func (s *fakeStore) WriteBatch(_ context.Context, evs []*eventv1.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing || (s.failAfter > 0 && len(s.batches) >= s.failAfter) {
		s.failures++
		return errors.New("store is down")
	}
	for _, ev := range evs {
		if ev.GetSiteId() == "reject-me" {
			return fmt.Errorf("%w: value too large for index", ErrRejected)
		}
	}
	for _, ev := range evs {
		s.events[ev.GetEventId()] = ev
	}
	s.batches = append(s.batches, len(evs))
	return nil
}

func (s *fakeStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing || (s.failAfter > 0 && len(s.batches) >= s.failAfter) {
		return errors.New("store is down")
	}
	return nil
}

func (s *fakeStore) snapshot() (distinct int, batches []int, failures int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events), append([]int(nil), s.batches...), s.failures
}

func (s *fakeStore) set(f func(s *fakeStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func newCluster(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic, dlqTopic))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func uuid4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func event(id string) *eventv1.Event {
	now := time.Now()
	return &eventv1.Event{
		EventId: id, SiteId: "site-1", Name: "page_view", VisitorId: "v-" + id[:4],
		OccurredAt: timestamppb.New(now.Add(-time.Minute)), ReceivedAt: timestamppb.New(now),
		Page: &eventv1.Page{Path: "/"},
	}
}

// produce sends values to the given partition (or round robin when p < 0)
// and waits for every delivery.
func produce(t *testing.T, brokers string, p int32, values ...[]byte) {
	t.Helper()
	pr, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": brokers, "acks": "all", "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	ch := make(chan kafka.Event, len(values))
	tp := topic
	for i, v := range values {
		part := p
		if p < 0 {
			part = int32(i % partitions)
		}
		if err := pr.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &tp, Partition: part}, Value: v,
			Headers: []kafka.Header{{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)}}}, ch); err != nil {
			t.Fatal(err)
		}
	}
	for range values {
		m := (<-ch).(*kafka.Message)
		if m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}

// newEvents returns n encoded storable events, each with a new id.
func newEvents(t *testing.T, n int) [][]byte {
	t.Helper()
	values := make([][]byte, n)
	for i := range values {
		values[i] = mustMarshal(t, event(uuid4()))
	}
	return values
}

func mustMarshal(t *testing.T, ev *eventv1.Event) []byte {
	t.Helper()
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// committed returns the group's committed offset per partition (0 when none).
func committed(t *testing.T, brokers, group string) [partitions]int64 {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": brokers, "group.id": group, "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := topic
	var req []kafka.TopicPartition
	for p := range int32(partitions) {
		req = append(req, kafka.TopicPartition{Topic: &tp, Partition: p})
	}
	res, err := c.Committed(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var out [partitions]int64
	for _, r := range res {
		if r.Offset >= 0 {
			out[r.Partition] = int64(r.Offset)
		}
	}
	return out
}

func sum(a [partitions]int64) int64 {
	var s int64
	for _, v := range a {
		s += v
	}
	return s
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

type running struct {
	loop *Loop
	reg  *prometheus.Registry
	stop func() error
}

func start(t *testing.T, brokers string, store Store, tweak func(*Config)) *running {
	t.Helper()
	cfg := DefaultConfig("test_writer")
	cfg.Brokers, cfg.Topic, cfg.DLQTopic = brokers, topic, dlqTopic
	cfg.Group = "g-" + uuid4()[:8]
	cfg.BatchMaxWait = 50 * time.Millisecond
	cfg.RetryInitial, cfg.RetryMax = 10*time.Millisecond, 100*time.Millisecond
	cfg.SessionTimeout = 6 * time.Second
	if tweak != nil {
		tweak(&cfg)
	}
	reg := prometheus.NewRegistry()
	l, err := New(cfg, store, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				runErr = errors.New("loop did not stop")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return &running{loop: l, reg: reg, stop: stop}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig("pg_writer").Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if g := DefaultConfig("ch_writer").Group; g != "footprint-ch-writer" {
		t.Fatalf("default group %q", g)
	}
	bad := Config{}
	err := bad.Validate()
	for _, want := range []error{ErrBrokersRequired, ErrTopicRequired, ErrGroupRequired, ErrWriterRequired, ErrBatchMaxEvents, ErrRetry} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
}

// Batches are cut by count, duplicates are written once, and the committed
// offsets end exactly at the end of every partition.
func TestBatchesDedupAndCommit(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	const n = 900
	var values [][]byte
	ids := make([]string, 0, n)
	for i := range n {
		id := uuid4()
		ids = append(ids, id)
		values = append(values, mustMarshal(t, event(id)))
		if i%9 == 0 { // a redelivered copy
			values = append(values, mustMarshal(t, event(id)))
		}
	}
	produce(t, brokers, -1, values...)
	r := start(t, brokers, store, func(c *Config) { c.BatchMaxEvents = 100; c.BatchMaxWait = time.Minute })
	eventually(t, 30*time.Second, "all events stored and committed", func() bool {
		d, _, _ := store.snapshot()
		return d == n && sum(committed(t, brokers, r.loop.cfg.Group)) == int64(len(values))
	})
	_, batches, _ := store.snapshot()
	total := 0
	for _, b := range batches {
		if b > 100 {
			t.Errorf("batch of %d events exceeds the 100 limit", b)
		}
		total += b
	}
	if err := r.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	// In-batch dedup plus at most a few cross-batch copies; never fewer than n.
	if total < n {
		t.Fatalf("written %d < %d", total, n)
	}
	if got := testutil.ToFloat64(r.loop.m.consumed); got != float64(len(values)) {
		t.Errorf("consumed_total = %v, want %d", got, len(values))
	}
}

// While the store fails, offsets stay at what was written, the loop keeps
// retrying without skipping, /readyz reports it, and it recovers by itself.
func TestOutageRetriesWithoutSkipping(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	store.failAfter = 1 // first batch succeeds, then the store "goes down"
	values := newEvents(t, 300)
	// All on one partition so the first batch is an exact prefix.
	produce(t, brokers, 0, values...)
	r := start(t, brokers, store, func(c *Config) { c.BatchMaxEvents = 100; c.BatchMaxWait = time.Minute })
	eventually(t, 30*time.Second, "retries against the failing store", func() bool {
		_, _, f := store.snapshot()
		return f >= 5
	})
	if got := committed(t, brokers, r.loop.cfg.Group); got[0] != 100 {
		t.Fatalf("committed %v during outage, want exactly the 100 written", got)
	}
	if err := r.loop.Ready(context.Background()); err == nil {
		t.Fatal("ready while the store is down")
	}
	store.set(func(s *fakeStore) { s.failAfter = 0 })
	eventually(t, 30*time.Second, "recovery", func() bool {
		d, _, _ := store.snapshot()
		return d == 300 && committed(t, brokers, r.loop.cfg.Group)[0] == 300
	})
	if err := r.loop.Ready(context.Background()); err != nil {
		t.Fatalf("not ready after recovery: %v", err)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// A poison message goes to the DLQ with its reason and origin while later
// messages of the same partition are stored and committed.
func TestPoisonToDLQ(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	before, after := uuid4(), uuid4()
	bad := event(uuid4())
	bad.SiteId = ""
	produce(t, brokers, 1, mustMarshal(t, event(before)), []byte("\xff\xffnot protobuf"), mustMarshal(t, bad), mustMarshal(t, event(after)))
	r := start(t, brokers, store, nil)
	eventually(t, 30*time.Second, "good events stored and all committed", func() bool {
		d, _, _ := store.snapshot()
		return d == 2 && committed(t, brokers, r.loop.cfg.Group)[1] == 4
	})
	if got := testutil.ToFloat64(r.loop.m.dlq); got != 2 {
		t.Fatalf("dlq_total = %v, want 2", got)
	}
	// Read the dead letters back.
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": brokers, "group.id": "dlq-reader", "auto.offset.reset": "earliest", "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(dlqTopic, nil); err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		m, err := c.ReadMessage(200 * time.Millisecond)
		if err != nil {
			continue
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		got = append(got, h)
	}
	if len(got) != 2 {
		t.Fatalf("read %d dead letters, want 2", len(got))
	}
	offsets := map[string]string{}
	for _, h := range got {
		if h[wire.HeaderDLQTopic] != topic || h[wire.HeaderDLQPartition] != "1" || h[wire.HeaderDLQWriter] != r.loop.cfg.Group || h[wire.HeaderSchema] != wire.SchemaEvent {
			t.Errorf("bad dlq headers %v", h)
		}
		offsets[h[wire.HeaderDLQOffset]] = h[wire.HeaderDLQError]
	}
	if e := offsets["1"]; e == "" || !strings.Contains(e, "undecodable") {
		t.Errorf("offset 1 reason %q", e)
	}
	if e := offsets["2"]; !strings.Contains(e, "site_id") {
		t.Errorf("offset 2 reason %q", e)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// Cancelling the context writes and commits a batch that is not yet due.
func TestShutdownFlushes(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	values := newEvents(t, 50)
	produce(t, brokers, -1, values...)
	r := start(t, brokers, store, func(c *Config) { c.BatchMaxWait = time.Minute })
	eventually(t, 30*time.Second, "all consumed", func() bool {
		return testutil.ToFloat64(r.loop.m.consumed) == 50
	})
	if d, _, _ := store.snapshot(); d != 0 {
		t.Fatalf("written %d before the batch was due", d)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if d, _, _ := store.snapshot(); d != 50 {
		t.Fatalf("stored %d, want 50", d)
	}
	if got := sum(committed(t, brokers, r.loop.cfg.Group)); got != 50 {
		t.Fatalf("committed %d, want 50", got)
	}
}

// With the store down at shutdown nothing is committed and Run says so.
func TestShutdownWithStoreDownCommitsNothing(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	store.failing = true
	produce(t, brokers, -1, mustMarshal(t, event(uuid4())), mustMarshal(t, event(uuid4())))
	r := start(t, brokers, store, func(c *Config) { c.ShutdownTimeout = 300 * time.Millisecond })
	eventually(t, 30*time.Second, "failing writes", func() bool {
		_, _, f := store.snapshot()
		return f >= 2
	})
	if err := r.stop(); !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("run returned %v, want ErrShutdownTimeout", err)
	}
	if got := sum(committed(t, brokers, r.loop.cfg.Group)); got != 0 {
		t.Fatalf("committed %d offsets with nothing stored", got)
	}
}

// A replica stuck on a failing store gives its batch up on revocation; when
// it leaves, the other replica re-reads everything it had not committed:
// nothing is skipped across the rebalance.
func TestRebalanceDuringOutageLosesNothing(t *testing.T) {
	brokers := newCluster(t)
	group := "g-" + uuid4()[:8]
	broken, healthy := newFakeStore(), newFakeStore()
	broken.failing = true
	values := newEvents(t, 300)
	produce(t, brokers, -1, values...)
	a := start(t, brokers, broken, func(c *Config) { c.Group = group; c.ShutdownTimeout = 500 * time.Millisecond })
	eventually(t, 30*time.Second, "replica a retrying", func() bool {
		_, _, f := broken.snapshot()
		return f >= 3
	})
	b := start(t, brokers, healthy, func(c *Config) { c.Group = group })
	eventually(t, 60*time.Second, "replica b storing its share", func() bool {
		d, _, _ := healthy.snapshot()
		return d > 0
	})
	// a either still holds an unwritable batch (ErrShutdownTimeout, nothing
	// committed) or had not re-fetched since the rebalance (clean exit).
	if err := a.stop(); err != nil && !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("replica a: %v", err)
	}
	eventually(t, 60*time.Second, "replica b storing and committing everything", func() bool {
		d, _, _ := healthy.snapshot()
		return d == 300 && sum(committed(t, brokers, group)) == 300
	})
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
}

// An event the store rejects (ErrRejected) is isolated by bisection and sent
// to the DLQ; the rest of its batch is stored and everything is committed.
func TestStoreRejectionIsolated(t *testing.T) {
	brokers := newCluster(t)
	store := newFakeStore()
	var values [][]byte
	bad := event(uuid4())
	bad.SiteId = "reject-me"
	for i := range 100 {
		if i == 37 {
			values = append(values, mustMarshal(t, bad))
		}
		values = append(values, mustMarshal(t, event(uuid4())))
	}
	produce(t, brokers, 2, values...)
	r := start(t, brokers, store, func(c *Config) { c.BatchMaxWait = time.Second })
	eventually(t, 30*time.Second, "good events stored and all committed", func() bool {
		d, _, _ := store.snapshot()
		return d == 100 && committed(t, brokers, r.loop.cfg.Group)[2] == 101
	})
	if got := testutil.ToFloat64(r.loop.m.dlq); got != 1 {
		t.Fatalf("dlq_total = %v, want 1", got)
	}
	if got := testutil.ToFloat64(r.loop.m.written); got != 100 {
		t.Fatalf("written_total = %v, want 100", got)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// A replica whose partitions were paused by a store outage when a rebalance
// took them must consume them again once they come back to it and the store
// recovers: librdkafka keeps a partition's pause across a revocation and a
// new assignment, so a pause the loop forgets stays for good (the cluster
// drill's pg-writer stopped consuming three partitions that way).
func TestPausedPartitionsResumeAfterRebalance(t *testing.T) {
	brokers := newCluster(t)
	group := "g-" + uuid4()[:8]
	store, other := newFakeStore(), newFakeStore()
	store.failing = true
	values := newEvents(t, 300)
	produce(t, brokers, -1, values...)
	a := start(t, brokers, store, func(c *Config) { c.Group = group })
	eventually(t, 30*time.Second, "replica a retrying with its partitions paused", func() bool {
		_, _, f := store.snapshot()
		return f >= 3
	})
	// b joins (a's partitions are revoked mid-outage and split), then leaves:
	// a gets every partition back.
	b := start(t, brokers, other, func(c *Config) { c.Group = group })
	eventually(t, 60*time.Second, "replica b storing its share", func() bool {
		d, _, _ := other.snapshot()
		return d > 0
	})
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
	store.set(func(s *fakeStore) { s.failing = false })
	more := newEvents(t, 60)
	produce(t, brokers, -1, more...)
	eventually(t, 60*time.Second, "every partition consumed and committed again", func() bool {
		return sum(committed(t, brokers, group)) == 360
	})
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
}
