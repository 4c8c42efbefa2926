// Package sinktest is the one integration suite both writers run on the real
// stack (Kafka, PostgreSQL, ClickHouse). A writer's test implements Target
// and calls Run; the suite runs the writer binary as a child process (the
// test binary re-executed, see ChildMain), so it can SIGTERM or kill -9 it.
//
// Every scenario uses its own topic, DLQ topic, consumer group and database.
package sinktest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Target is what a writer's test provides.
type Target interface {
	// Name is the writer name: pg_writer or ch_writer (metric prefix).
	Name() string
	// StoreAddr is the host:port of the real store (skips or fails the test
	// via testenv when the store is not running).
	StoreAddr(t *testing.T) string
	// NewStore creates an isolated store (a unique database, dropped when
	// the test ends). The writer will reach it at writerAddr (the real
	// address or a proxy in front of it); the returned handle reads it
	// directly.
	NewStore(t *testing.T, writerAddr string) Store
}

// Reader is what the suite reads of a store: the store packages' own
// read helpers.
type Reader interface {
	// Counts returns the rows and the distinct event ids a dashboard query
	// sees. Errors (for example the table does not exist yet) are retried.
	Counts(ctx context.Context) (rows, distinct int64, err error)
	// ReadEvent reads one stored event back.
	ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error)
}

// Store is a handle on one isolated store.
type Store interface {
	Reader
	// Env returns the FOOTPRINT_* variables that point the writer at the store.
	Env() []string
	// Normalize returns what the store can keep of ev (for example
	// PostgreSQL keeps microseconds), to compare with ReadEvent by proto.Equal.
	Normalize(ev *eventv1.Event) *eventv1.Event
}

const childEnv = "FOOTPRINT_SINKTEST_CHILD"

// ChildMain must be called first in the writer's TestMain. When the suite
// started the test binary as a writer process it runs the writer (run is
// the writer's main logic) and exits with its status; otherwise it returns.
func ChildMain(run func(ctx context.Context, getenv func(string) string, stderr io.Writer) error) {
	if os.Getenv(childEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Main is a writer's whole TestMain: the child process (see ChildMain) or
// the test run.
func Main(m *testing.M, run func(ctx context.Context, getenv func(string) string, stderr io.Writer) error) {
	ChildMain(run)
	os.Exit(m.Run())
}

// Run runs every scenario against the target.
func Run(t *testing.T, target Target) {
	t.Run("DistinctEventsIntact", func(t *testing.T) { testDistinctEventsIntact(t, target) })
	t.Run("Poison", func(t *testing.T) { testPoison(t, target) })
	t.Run("TwoReplicas", func(t *testing.T) { testTwoReplicas(t, target) })
	t.Run("Kill9", func(t *testing.T) { testKill9(t, target) })
	t.Run("StoreOutage", func(t *testing.T) { testStoreOutage(t, target) })
	t.Run("FirstCopyWins", func(t *testing.T) { testFirstCopyWins(t, target) })
	t.Run("OversizeDeadLettered", func(t *testing.T) { testOversizeDeadLettered(t, target) })
	// A measurement, not a check, so it is registered only when asked for
	// (the benchmark suite is where speed is compared).
	if n := throughputEvents(); n > 0 {
		t.Run("Throughput", func(t *testing.T) { testThroughput(t, target, n) })
	}
}

// env is one scenario's isolated Kafka resources.
type env struct {
	brokers, topic, dlq, group string
}

func newEnv(t *testing.T, partitions int) env {
	brokers := testenv.KafkaBrokers(t)
	return env{
		brokers: brokers,
		topic:   testenv.NewTopic(t, brokers, partitions),
		dlq:     testenv.NewTopic(t, brokers, 1),
		group:   testenv.UniqueName("sinktest"),
	}
}

func (e env) vars(store Store, batchMax int) []string {
	return append([]string{
		"FOOTPRINT_KAFKA_BROKERS=" + e.brokers,
		"FOOTPRINT_KAFKA_TOPIC=" + e.topic,
		"FOOTPRINT_KAFKA_DLQ_TOPIC=" + e.dlq,
		"FOOTPRINT_WRITER_GROUP=" + e.group,
		fmt.Sprintf("FOOTPRINT_WRITER_BATCH_MAX_EVENTS=%d", batchMax),
		"FOOTPRINT_WRITER_BATCH_MAX_WAIT=200ms",
		"FOOTPRINT_WRITER_RETRY_MAX=2s",
		"FOOTPRINT_WRITER_SESSION_TIMEOUT=6s",
		"FOOTPRINT_LOG_LEVEL=info",
	}, store.Env()...)
}

// Writer is a writer process started by the suite.
type Writer struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	admin string
	logs  *syncBuffer
	done  chan struct{}
	err   error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startWriter runs the writer (this test binary in child mode) with vars.
func startWriter(t *testing.T, name string, vars []string) *Writer {
	t.Helper()
	w := &Writer{t: t, name: name, admin: freeAddr(t), logs: &syncBuffer{}, done: make(chan struct{})}
	w.cmd = exec.Command(os.Args[0], "-test.run=^$")
	w.cmd.Env = append(append(os.Environ(), vars...), childEnv+"=1", "FOOTPRINT_ADMIN_ADDR="+w.admin)
	w.cmd.Stdout, w.cmd.Stderr = w.logs, w.logs
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start writer: %v", err)
	}
	go func() { w.err = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		w.Kill()
		if t.Failed() {
			t.Logf("--- %s logs (last 6000 bytes) ---\n%s", w.name, tail(w.logs.String(), 6000))
		}
	})
	return w
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Kill sends SIGKILL and waits for the process to end.
func (w *Writer) Kill() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
}

// Stop sends SIGTERM and returns the exit error (nil for exit 0).
func (w *Writer) Stop(timeout time.Duration) error {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		return w.err
	case <-time.After(timeout):
		w.Kill()
		return fmt.Errorf("%s did not stop within %s", w.name, timeout)
	}
}

func (w *Writer) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// readyz returns the /readyz status code (0 when unreachable).
func (w *Writer) readyz() int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + w.admin + "/readyz")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// metric returns the value of an unlabelled series from /metrics.
func (w *Writer) metric(name string) (float64, bool) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + w.admin + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+" ") {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, name+" "), "%g", &v); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

// eventually polls cond until it is true or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, writers ...*Writer) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		for _, w := range writers {
			if w.exited() {
				t.Fatalf("%s exited (%v) while waiting for %s", w.name, w.err, what)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not synchronisation
	}
}

// waitStored waits until the store holds want distinct events and then
// checks that a dashboard sees exactly that many rows.
func waitStored(t *testing.T, store Store, want int64, timeout time.Duration, writers ...*Writer) {
	t.Helper()
	var rows, distinct int64
	var lastErr error
	eventually(t, timeout, fmt.Sprintf("%d distinct events in the store", want), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rows, distinct, lastErr = store.Counts(ctx)
		// Both at once: the two counts are separate queries, so a batch
		// landing between them can make one lag behind the other.
		return lastErr == nil && distinct >= want && rows >= want
	}, writers...)
	// Everything has arrived; a fresh read must be exact (more rows would be
	// double counting).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rows, distinct, lastErr = store.Counts(ctx); lastErr != nil {
		t.Fatalf("count: %v", lastErr)
	}
	if distinct != want || rows != want {
		t.Fatalf("store holds %d rows / %d distinct event ids, want exactly %d of each", rows, distinct, want)
	}
}

// --- events -------------------------------------------------------------

func randInt(n int64) int64 {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return v.Int64()
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// NewEvent returns an event with every field set; occurred_at is random in
// the last 60 days (so a stream is out of order and spans months) with
// nanoseconds, received_at a little later.
func NewEvent(site string) *eventv1.Event {
	occ := time.Now().Add(-time.Duration(randInt(int64(60 * 24 * time.Hour))))
	id := newUUID()
	return &eventv1.Event{
		EventId:    id,
		SiteId:     site,
		Name:       []string{"page_view", "comment_created", "like_created"}[randInt(3)],
		OccurredAt: timestamppb.New(occ),
		ReceivedAt: timestamppb.New(occ.Add(time.Duration(randInt(int64(2 * time.Second))))),
		VisitorId:  fmt.Sprintf("visitor-%d", randInt(50)),
		UserId:     fmt.Sprintf("user-%d", randInt(20)),
		SessionId:  "session-" + id[:8],
		Page: &eventv1.Page{
			Url:      "https://example.org/blog/post-" + id[:4] + "?utm_source=news",
			Path:     "/blog/post-" + id[:4],
			Title:    "Post ünïcode ✓ " + id[:4],
			Referrer: "https://www.search.example/?q=x",
		},
		HttpMethod: "GET",
		HttpStatus: 200,
		DurationUs: uint64(randInt(1_000_000)),
		Client: &eventv1.ClientContext{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Locale: "en-GB",
			ScreenWidth: 1920, ScreenHeight: 1080, TimeZone: "Europe/Berlin", Ip: "",
		},
		Utm:        &eventv1.Utm{Source: "news", Medium: "email", Campaign: "launch", Term: "t", Content: "c"},
		Properties: map[string]string{"comment_id": id[:6], "quote": `he said "hi"`},
		Enrichment: &eventv1.Enrichment{
			Browser: "Firefox", BrowserVersion: "140.0", Os: "Linux", OsVersion: "",
			DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP, IsBot: randInt(2) == 0, ReferrerHost: "search.example",
			ClockClamped: randInt(2) == 0, VisitorIdDerived: true, EventIdAssigned: false,
		},
	}
}

// OtherCopy returns a second copy of ev: the same event_id with other
// fields and occurred_at moved by days, as when a retry is clamped again by
// the collector or an id is re-used. Stores keep the first copy.
func OtherCopy(ev *eventv1.Event, days int) *eventv1.Event {
	c := proto.Clone(ev).(*eventv1.Event)
	if c.Page == nil {
		c.Page = &eventv1.Page{}
	}
	c.Name, c.Page.Path, c.Properties = "copied", "/copied", map[string]string{"copy": "second"}
	c.OccurredAt = timestamppb.New(ev.GetOccurredAt().AsTime().AddDate(0, 0, days))
	c.ReceivedAt = timestamppb.New(ev.GetReceivedAt().AsTime().AddDate(0, 0, days))
	return c
}

type producer struct {
	t *testing.T
	p *kafka.Producer
}

func newProducer(t *testing.T, brokers string) *producer {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers": brokers, "acks": "all", "enable.idempotence": true,
		"linger.ms": 5, "enable.metrics.push": false,
	})
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(p.Close)
	return &producer{t: t, p: p}
}

// send produces messages keyed like the collector does and waits for all
// deliveries. partition < 0 lets the key choose.
func (p *producer) send(topic string, partition int32, msgs ...*kafka.Message) {
	p.t.Helper()
	ch := make(chan kafka.Event, len(msgs))
	for _, m := range msgs {
		tp := topic
		m.TopicPartition = kafka.TopicPartition{Topic: &tp, Partition: kafka.PartitionAny}
		if partition >= 0 {
			m.TopicPartition.Partition = partition
		}
		for {
			err := p.p.Produce(m, ch)
			if err == nil {
				break
			}
			if kerr, ok := err.(kafka.Error); ok && kerr.Code() == kafka.ErrQueueFull {
				p.p.Flush(100)
				continue
			}
			p.t.Fatalf("produce: %v", err)
		}
	}
	for range msgs {
		m := (<-ch).(*kafka.Message)
		if m.TopicPartition.Error != nil {
			p.t.Fatalf("delivery: %v", m.TopicPartition.Error)
		}
	}
}

func eventMessage(t *testing.T, ev *eventv1.Event) *kafka.Message {
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return &kafka.Message{Key: wire.MessageKey(ev.GetSiteId(), ev.GetVisitorId()), Value: b, Headers: []kafka.Header{
		{Key: wire.HeaderContentType, Value: []byte(wire.ContentTypeProtobuf)},
		{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)},
		{Key: wire.HeaderSchemaVersion, Value: []byte(wire.SchemaVersion)},
	}}
}

func (p *producer) events(topic string, evs []*eventv1.Event) {
	msgs := make([]*kafka.Message, len(evs))
	for i, ev := range evs {
		msgs[i] = eventMessage(p.t, ev)
	}
	p.send(topic, -1, msgs...)
}

func newEvents(n int) []*eventv1.Event {
	site := testenv.UniqueName("site")
	evs := make([]*eventv1.Event, n)
	for i := range evs {
		evs[i] = NewEvent(site)
	}
	return evs
}

// withDuplicates returns evs plus clones of every k-th one, shuffled in
// (a client retry or a producer redelivery re-sends the same event).
func withDuplicates(evs []*eventv1.Event, k int) []*eventv1.Event {
	out := append([]*eventv1.Event(nil), evs...)
	for i := 0; i < len(evs); i += k {
		out = append(out, proto.Clone(evs[i]).(*eventv1.Event))
	}
	for i := len(out) - 1; i > 0; i-- {
		j := randInt(int64(i + 1))
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// checkFields reads events back and compares them with what was produced.
func checkFields(t *testing.T, store Store, evs []*eventv1.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, want := range evs {
		got, err := store.ReadEvent(ctx, want.GetEventId())
		if err != nil {
			t.Fatalf("read %s: %v", want.GetEventId(), err)
		}
		if n := store.Normalize(want); !proto.Equal(got, n) {
			t.Fatalf("event %s differs\n got: %v\nwant: %v", want.GetEventId(), got, n)
		}
	}
}

// --- scenarios ----------------------------------------------------------

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
	eventually(t, 30*time.Second, "ready", func() bool { return w.readyz() == http.StatusOK }, w)
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
		v, _ := w.metric("footprint_writer_dlq_total{writer=\"" + target.Name() + "\"}")
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
	assigned := func(w *Writer) bool {
		l := lastLine(w.logs.String(), `"msg":"partitions assigned"`)
		return l != "" && !strings.Contains(l, `"partitions":""`)
	}
	eventually(t, 60*time.Second, "both replicas assigned", func() bool { return assigned(a) && assigned(b) }, a, b)
	p := newProducer(t, e.brokers)
	evs := newEvents(3000)
	for i := 0; i < len(evs); i += 300 {
		p.events(e.topic, withDuplicates(evs[i:i+300], 10))
	}
	waitStored(t, store, int64(len(evs)), 90*time.Second, a, b)
	for _, w := range []*Writer{a, b} {
		v, _ := w.metric("footprint_writer_written_total{writer=\"" + target.Name() + "\"}")
		if v == 0 {
			t.Errorf("%s wrote nothing: partitions were not split", w.name)
		}
	}
	checkFields(t, store, evs[:50])
	for _, w := range []*Writer{a, b} {
		if err := w.Stop(60 * time.Second); err != nil {
			t.Fatalf("%s SIGTERM: %v", w.name, err)
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
	eventually(t, 30*time.Second, "ready before the outage", func() bool { return w.readyz() == http.StatusOK }, w)

	proxy.Cut()
	cutAt := time.Now()
	p.events(e.topic, withDuplicates(evs[1000:2000], 10))
	eventually(t, 30*time.Second, "/readyz reports the outage", func() bool { return w.readyz() == http.StatusServiceUnavailable }, w)
	// The outage lasts 20 s: the writer must stay up, unready, and store nothing.
	for time.Since(cutAt) < 20*time.Second {
		if w.exited() {
			t.Fatalf("writer exited during the outage: %v", w.err)
		}
		if code := w.readyz(); code != http.StatusServiceUnavailable {
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
	eventually(t, 30*time.Second, "ready after recovery", func() bool { return w.readyz() == http.StatusOK }, w)
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

// testThroughput reports how fast one writer with the default batch settings
// drains a backlog of n events.
func testThroughput(t *testing.T, target Target, n int) {
	e := newEnv(t, 6)
	store := target.NewStore(t, target.StoreAddr(t))
	p := newProducer(t, e.brokers)
	evs := newEvents(n)
	for i := 0; i < n; i += 10_000 {
		p.events(e.topic, evs[i:min(i+10_000, n)])
	}
	vars := e.vars(store, 50_000)
	vars = append(vars, "FOOTPRINT_WRITER_BATCH_MAX_WAIT=1s")
	start := time.Now()
	w := startWriter(t, target.Name(), vars)
	waitStored(t, store, int64(n), 10*time.Minute, w)
	d := time.Since(start)
	sum, _ := w.metric("footprint_writer_write_seconds_sum{writer=\"" + target.Name() + "\"}")
	t.Logf("%s drained %d events in %s (%.0f events/s including start-up); store writes took %.2fs in total (%.0f rows/s)",
		target.Name(), n, d.Round(time.Millisecond), float64(n)/d.Seconds(), sum, float64(n)/sum)
	if err := w.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
