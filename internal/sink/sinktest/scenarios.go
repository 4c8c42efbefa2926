package sinktest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/procstat"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// N events with duplicates and out-of-order times (some duplicates arrive
// after their first copy was already committed) leave exactly the distinct
// events, every field intact; SIGTERM then exits 0.
func testDistinctEventsIntact(t *testing.T, target Target) {
	e := newEnv(t, 4)
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	first, second := newEvents(1500), newEvents(500)
	p.events(e.topic, withDuplicates(first, 7))
	w := startWriter(t, target.Name(), e.vars(store, 50_000))
	waitStored(t, store, int64(len(first)), 90*time.Second, w)
	// Late duplicates of committed events, mixed with new ones.
	p.events(e.topic, append(withDuplicates(second, 5), first[:300]...))
	all := append(append([]*eventv1.Event(nil), first...), second...)
	waitStored(t, store, int64(len(all)), 90*time.Second, w)
	checkFields(t, store, all[:200])
	checkFields(t, store, all[len(all)-100:])
	eventually(t, 30*time.Second, "ready", func() bool { return w.Readyz(context.Background()) == http.StatusOK }, w)
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: writer exit: %v", err)
	}
	waitStored(t, store, int64(len(all)), 10*time.Second)
}

// A poison message goes to the DLQ with its reason while later messages of
// the same partition are stored.
func testPoison(t *testing.T, target Target) {
	e := newEnv(t, 2)
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	before, after := newEvents(1)[0], newEvents(1)[0]
	invalid := newEvents(1)[0]
	invalid.EventId = "not-a-uuid"
	p.send(e.topic, 0, eventMessage(t, before),
		&kafka.Message{Value: []byte("\x0a\xff\xff garbage"), Key: []byte("k")},
		eventMessage(t, invalid), eventMessage(t, after))
	w := startWriter(t, target.Name(), e.vars(store, 50_000))
	waitStored(t, store, 2, 90*time.Second, w)
	checkFields(t, store, []*eventv1.Event{before, after})
	eventually(t, 30*time.Second, "dlq_total == 2", func() bool {
		v, _ := w.Metric(context.Background(), "footprint_writer_dlq_total{writer=\""+target.Name()+"\"}")
		return v == 2
	}, w)

	got := readDeadLetters(t, e, 2)
	for off, wantReason := range map[string]string{"1": "undecodable", "2": "event_id"} {
		h := got[off]
		if h == nil {
			t.Fatalf("no dead letter for offset %s: %v", off, got)
		}
		if !strings.Contains(h[wire.HeaderDLQError], wantReason) || h[wire.HeaderDLQTopic] != e.topic ||
			h[wire.HeaderDLQPartition] != "0" || h[wire.HeaderDLQWriter] != e.group {
			t.Errorf("dead letter at offset %s has headers %v", off, h)
		}
	}
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// readDeadLetters reads n dead letters from the scenario's DLQ topic and
// returns their headers by the offset of the message they stand for.
func readDeadLetters(t *testing.T, e env, n int) map[string]map[string]string {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": e.brokers, "group.id": testenv.UniqueName("dlqread"),
		"auto.offset.reset": "earliest", "enable.metrics.push": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(e.dlq, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	eventually(t, 30*time.Second, fmt.Sprintf("%d dead letters", n), func() bool {
		m, err := c.ReadMessage(200 * time.Millisecond)
		if err == nil {
			h := map[string]string{}
			for _, x := range m.Headers {
				h[x.Key] = string(x.Value)
			}
			got[h[wire.HeaderDLQOffset]] = h
		}
		return len(got) >= n
	})
	return got
}

// Two replicas of the same writer split the partitions and together store
// every event exactly once.
func testTwoReplicas(t *testing.T, target Target) {
	e := newEnv(t, 6)
	store := target.NewStore(t, target.StoreAddr(t))
	vars := e.vars(store, 500)
	a := startWriter(t, target.Name()+"-a", vars)
	b := startWriter(t, target.Name()+"-b", vars)
	// Both must own partitions before the stream starts.
	assigned := func(w *testenv.Process) bool {
		l := lastLine(w.Logs(), `"msg":"partitions assigned"`)
		return l != "" && !strings.Contains(l, `"partitions":""`)
	}
	eventually(t, 60*time.Second, "both replicas assigned", func() bool { return assigned(a) && assigned(b) }, a, b)
	p := newProducer(t, e.brokers)
	evs := newEvents(3000)
	for i := 0; i < len(evs); i += 300 {
		p.events(e.topic, withDuplicates(evs[i:i+300], 10))
	}
	waitStored(t, store, int64(len(evs)), 90*time.Second, a, b)
	for _, w := range []*testenv.Process{a, b} {
		v, _ := w.Metric(context.Background(), "footprint_writer_written_total{writer=\""+target.Name()+"\"}")
		if v == 0 {
			t.Errorf("%s wrote nothing: partitions were not split", w.Name)
		}
	}
	checkFields(t, store, evs[:50])
	for _, w := range []*testenv.Process{a, b} {
		if err := w.Stop(60 * time.Second); err != nil {
			t.Fatalf("%s SIGTERM: %v", w.Name, err)
		}
	}
}

func lastLine(logs, substr string) string {
	lines := strings.Split(logs, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return lines[i]
		}
	}
	return ""
}

// kill -9 in the middle of a stream, then restart: nothing lost, nothing
// double counted.
func testKill9(t *testing.T, target Target) {
	e := newEnv(t, 4)
	store := target.NewStore(t, target.StoreAddr(t))
	vars := e.vars(store, 200)
	p := newProducer(t, e.brokers)
	evs := newEvents(4000)
	w := startWriter(t, target.Name(), vars)
	stream := func(part []*eventv1.Event) {
		for i := 0; i < len(part); i += 100 {
			p.events(e.topic, part[i:min(i+100, len(part))])
		}
	}
	stream(evs[:2000])
	// Kill while it is busy: some batches stored, more in flight.
	eventually(t, 90*time.Second, "some events stored", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, d, err := store.Counts(ctx)
		return err == nil && d >= 400
	}, w)
	w.Kill()
	stream(evs[2000:])
	w2 := startWriter(t, target.Name()+"-restarted", vars)
	waitStored(t, store, int64(len(evs)), 120*time.Second, w2)
	checkFields(t, store, evs[1900:2100])
	if err := w2.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// The store is cut off for 20 s during a stream: the writer reports not
// ready, pauses, recovers by itself, nothing lost or double counted.
func testStoreOutage(t *testing.T, target Target) {
	e := newEnv(t, 4)
	proxy := testenv.NewProxy(t, target.StoreAddr(t))
	store := target.NewStore(t, proxy.Addr())
	p := newProducer(t, e.brokers)
	evs := newEvents(3000)
	w := startWriter(t, target.Name(), e.vars(store, 500))
	p.events(e.topic, evs[:1000])
	waitStored(t, store, 1000, 90*time.Second, w)
	eventually(t, 30*time.Second, "ready before the outage", func() bool { return w.Readyz(context.Background()) == http.StatusOK }, w)

	proxy.Cut()
	cutAt := time.Now()
	p.events(e.topic, withDuplicates(evs[1000:2000], 10))
	eventually(t, 30*time.Second, "/readyz reports the outage", func() bool { return w.Readyz(context.Background()) == http.StatusServiceUnavailable }, w)
	// The outage lasts 20 s: the writer must stay up, unready, and store nothing.
	for time.Since(cutAt) < 20*time.Second {
		if w.Exited() {
			t.Fatalf("writer exited during the outage: %v", w.ExitErr())
		}
		if code := w.Readyz(context.Background()); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d during the outage", code)
		}
		time.Sleep(500 * time.Millisecond) // the outage's own duration, polled
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, d, err := store.Counts(ctx)
	cancel()
	if err != nil || d != 1000 {
		t.Fatalf("during the outage the store holds %d (err %v), want 1000", d, err)
	}
	proxy.Restore()
	p.events(e.topic, evs[2000:])
	waitStored(t, store, int64(len(evs)), 120*time.Second, w)
	eventually(t, 30*time.Second, "ready after recovery", func() bool { return w.Readyz(context.Background()) == http.StatusOK }, w)
	checkFields(t, store, evs[950:1050])
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// event_id alone is an event's identity, and the first copy in Kafka order
// is the one kept: a retry the collector clamped twice (same event_id, its
// occurred_at on another day) and a copy with other fields, arriving in the
// same batch or after the first copy was committed, leave one row each,
// equal to the first copy. Both writers run this, so both stores keep the
// same copy.
func testFirstCopyWins(t *testing.T, target Target) {
	e := newEnv(t, 1) // one partition: a later event stored means every earlier one was processed
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	now := time.Now().UTC()
	clamped := newEvents(1)[0]
	clamped.OccurredAt, clamped.ReceivedAt = timestamppb.New(now.AddDate(0, 0, -2)), timestamppb.New(now.AddDate(0, 0, -2))
	clamped.Enrichment.ClockClamped = true
	retried := proto.Clone(clamped).(*eventv1.Event) // the SDK's retry, clamped again when received
	retried.OccurredAt, retried.ReceivedAt = timestamppb.New(now), timestamppb.New(now)
	other := newEvents(1)[0]
	otherCopy := OtherCopy(other, 3)
	// In one batch: the first copies, then the other's second copy.
	p.events(e.topic, []*eventv1.Event{clamped, other, otherCopy})
	w := startWriter(t, target.Name(), e.vars(store, 50_000))
	waitStored(t, store, 2, 90*time.Second, w)
	// After the first copies were committed: the clamped retry, the other
	// copy again, and a marker that, once stored, shows both were processed.
	marker := newEvents(1)[0]
	p.events(e.topic, []*eventv1.Event{retried, otherCopy, marker})
	waitStored(t, store, 3, 90*time.Second, w)
	checkFields(t, store, []*eventv1.Event{clamped, other, marker})
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// An event produced straight to Kafka that the collector would have refused
// (a 9,001-byte path, a 10,000-character name) is dead-lettered with the
// shared storable check's reason, the same text from both writers, and the
// store never sees it; the events around it are stored.
func testOversizeDeadLettered(t *testing.T, target Target) {
	e := newEnv(t, 1)
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	evs := newEvents(4)
	longPath, longName := evs[1], evs[2]
	longPath.Page.Path = "/" + strings.Repeat("p", 9000)
	longName.Name = strings.Repeat("n", 10_000)
	p.send(e.topic, 0, eventMessage(t, evs[0]), eventMessage(t, longPath), eventMessage(t, longName), eventMessage(t, evs[3]))
	w := startWriter(t, target.Name(), e.vars(store, 50_000))
	got := readDeadLetters(t, e, 2)
	for off, wantReason := range map[string]string{"1": "not storable: page.path:", "2": "not storable: name:"} {
		if h := got[off]; h == nil || !strings.HasPrefix(h[wire.HeaderDLQError], wantReason) {
			t.Errorf("dead letter at offset %s: headers %v, want the reason to start with %q", off, h, wantReason)
		}
	}
	waitStored(t, store, 2, 90*time.Second, w)
	checkFields(t, store, []*eventv1.Event{evs[0], evs[3]})
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

// throughputEvents is FOOTPRINT_SINKTEST_THROUGHPUT, the backlog size of the
// Throughput measurement (for example 200000), or 0 when it is not set.
func throughputEvents() int {
	n := 0
	if v := os.Getenv("FOOTPRINT_SINKTEST_THROUGHPUT"); v != "" {
		_, _ = fmt.Sscanf(v, "%d", &n)
	}
	return n
}

// RawLoader is a Store that can time the limit of its writer: a bulk load
// of exactly the rows the writer stored, with no client-side work (the
// benchmark's raw COPY and raw native insert). batchRows is the writer's
// batch size.
type RawLoader interface {
	RawLoad(ctx context.Context, batchRows int) (rows int64, d time.Duration, err error)
}

// testThroughput reports how fast one writer with the default batch settings
// drains a backlog of n events, its peak RSS, and, when the store is a
// RawLoader, the raw load of the same rows and the ratio of the two
// measured in this one run (on a shared machine only such ratios compare).
func testThroughput(t *testing.T, target Target, n int) {
	e := newEnv(t, 6)
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	evs := newEvents(n)
	for i := 0; i < n; i += 10_000 {
		p.events(e.topic, evs[i:min(i+10_000, n)])
	}
	evs = nil
	// The writers' defaults (batch size, wait, prefetch), as in the benchmark.
	vars := e.vars(store, 0)
	vars = slices.DeleteFunc(vars, func(v string) bool {
		return strings.HasPrefix(v, "FOOTPRINT_WRITER_BATCH_MAX_EVENTS=") || strings.HasPrefix(v, "FOOTPRINT_WRITER_BATCH_MAX_WAIT=")
	})
	profile := os.Getenv("FOOTPRINT_SINKTEST_PROFILE") // a file for the writer's CPU profile of the drain
	if profile != "" {
		vars = append(vars, "FOOTPRINT_ADMIN_PPROF=true")
	}
	w := startWriter(t, target.Name(), vars)
	ctx := context.Background()
	eventually(t, 2*time.Minute, "ready", func() bool { return w.Readyz(ctx) == http.StatusOK }, w)
	gc0, alloc0 := goRuntime(ctx, w)
	start, u0 := time.Now(), usage(t, w.Pid())
	if profile != "" {
		go saveProfile(t, "http://"+w.AdminAddr+"/debug/pprof/profile?seconds=8", profile)
	}
	eventually(t, 10*time.Minute, "the backlog written", func() bool {
		v, _ := w.Metric(ctx, "footprint_writer_written_total{writer=\""+target.Name()+"\"}")
		return v >= float64(n)
	}, w)
	d, u1 := time.Since(start), usage(t, w.Pid())
	cpu := u1.CPUSeconds - u0.CPUSeconds
	gc1, alloc1 := goRuntime(ctx, w)
	waitStored(t, store, int64(n), time.Minute, w)
	sum, _ := w.Metric(ctx, "footprint_writer_write_seconds_sum{writer=\""+target.Name()+"\"}")
	// CPU per event is the writer's own cost, which other load on a shared
	// machine changes much less than the rate.
	t.Logf("%s drained %d events in %s (%.0f rows/s from ready); store writes took %.2fs in total (%.0f rows/s); writer CPU %.2fs (%.1f µs/event, %.2f cores), %.0f garbage collections, %.1f KiB allocated/event; peak RSS %.0f MiB",
		target.Name(), n, d.Round(time.Millisecond), float64(n)/d.Seconds(), sum, float64(n)/sum,
		cpu, cpu/float64(n)*1e6, cpu/d.Seconds(), gc1-gc0, (alloc1-alloc0)/float64(n)/1024, u1.PeakRSSMB)
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if raw, ok := store.(RawLoader); ok {
		rows, rd, err := raw.RawLoad(ctx, 50_000)
		if err != nil {
			t.Fatalf("raw load: %v", err)
		}
		rawRate, rate := float64(rows)/rd.Seconds(), float64(n)/d.Seconds()
		t.Logf("%s raw load of the same %d rows: %s (%.0f rows/s); writer / raw = %.2f", target.Name(), rows, rd.Round(time.Millisecond), rawRate, rate/rawRate)
	}
}

// goRuntime reads the writer's garbage collections and bytes allocated so
// far (the Go collector's metrics on its admin port).
func goRuntime(ctx context.Context, w *testenv.Process) (gcs, allocated float64) {
	gcs, _ = w.Metric(ctx, "go_gc_duration_seconds_count")
	allocated, _ = w.Metric(ctx, "go_memstats_alloc_bytes_total")
	return gcs, allocated
}

// usage is what the writer used so far (zero, logged, if /proc cannot
// tell: the figures are reported, not asserted).
func usage(t *testing.T, pid int) procstat.Usage {
	u, err := procstat.Read(pid)
	if err != nil {
		t.Logf("usage: %v", err)
	}
	return u
}

// saveProfile saves what url answers (a CPU profile) to file.
func saveProfile(t *testing.T, url, file string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Logf("profile: %v", err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		t.Logf("profile: %v", err)
	}
}
