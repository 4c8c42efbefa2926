package sinktest

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

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
		// What the collector and the benchmark's raw producer write: zstd
		// record batches of up to 1 MiB. The writers' consumer then
		// decompresses them, as in production (its memory while draining
		// a backlog depends on it).
		"compression.type": "zstd", "batch.size": 1 << 20,
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

// eventually polls cond until it is true or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, writers ...*testenv.Process) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		for _, w := range writers {
			if w.Exited() {
				t.Fatalf("%s exited (%v) while waiting for %s", w.Name, w.ExitErr(), what)
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
func waitStored(t *testing.T, store Store, want int64, timeout time.Duration, writers ...*testenv.Process) {
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
