package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/cli"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
	"github.com/footprint/footprint/store/storetest"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fixture is one test's slice of the real stack: its own topics, databases
// and consumer groups, and the footprint command pointed at them.
type fixture struct {
	brokers, topic, dlq, erasures, audit string
	site                                 string
	env                                  map[string]string
	pg                                   *postgres.Store
	ch                                   *clickhouse.Store
	pgURL                                string
	chCfg                                clickhouse.Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	brokers := testenv.KafkaBrokers(t)
	f := &fixture{brokers: brokers, site: testenv.UniqueName("site"),
		topic: testenv.NewTopic(t, brokers, 3), dlq: testenv.NewTopic(t, brokers, 1),
		erasures: testenv.NewTopic(t, brokers, 1), audit: testenv.NewTopic(t, brokers, 1)}
	f.pgURL, f.chCfg = storetest.PostgresDB(t), storetest.ClickHouseDB(t)
	ctx := context.Background()
	pgCfg := postgres.DefaultConfig()
	pgCfg.URL = f.pgURL
	var err error
	if f.pg, err = postgres.Open(ctx, pgCfg, discard()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.pg.Close() })
	if f.ch, err = clickhouse.Open(ctx, f.chCfg, discard()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.ch.Close() })
	if err := f.pg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.ch.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{
		"FOOTPRINT_KAFKA_BROKERS":   brokers,
		"FOOTPRINT_KAFKA_TOPIC":     f.topic,
		"FOOTPRINT_KAFKA_DLQ_TOPIC": f.dlq,
		"FOOTPRINT_ERASURE_TOPIC":   f.erasures,
		"FOOTPRINT_AUDIT_TOPIC":     f.audit,
		"FOOTPRINT_PG_URL":          f.pgURL,
		"FOOTPRINT_CH_ADDR":         f.chCfg.Addr,
		"FOOTPRINT_CH_DATABASE":     f.chCfg.Database,
		// Small batches written soon, so a test's few events move quickly.
		"FOOTPRINT_WRITER_BATCH_MAX_WAIT": "50ms",
	}
	return f
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// run runs the footprint command in-process and returns its exit status
// and output.
func (f *fixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return f.runCtx(t, context.Background(), args...)
}

func (f *fixture) runCtx(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := f.runQuietCtx(ctx, args...)
	t.Logf("footprint %v: exit %d\n%s%s", args, code, out, errOut)
	return code, out, errOut
}

// runQuiet is run without logging the output (for polls).
func (f *fixture) runQuiet(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return f.runQuietCtx(context.Background(), args...)
}

func (f *fixture) runQuietCtx(ctx context.Context, args ...string) (int, string, string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, args, cli.Env{Getenv: func(k string) string { return f.env[k] }, Stdout: &out, Stderr: &errOut,
		Now: time.Now, Logger: discard()})
	return code, out.String(), errOut.String()
}

// event is a storable event of the fixture's site.
func (f *fixture) event(name, visitor string, at time.Time) *eventv1.Event {
	return &eventv1.Event{
		EventId: uuid.NewString(), SiteId: f.site, Name: name, VisitorId: visitor,
		OccurredAt: timestamppb.New(at), ReceivedAt: timestamppb.New(at.Add(time.Second)),
		Page: &eventv1.Page{Url: "https://example.com/" + name, Path: "/" + name},
	}
}

// events makes n events spread over two days, two names and three visitors.
func (f *fixture) events(n int, day time.Time) []*eventv1.Event {
	out := make([]*eventv1.Event, n)
	names := []string{"page_view", "signup"}
	for i := range out {
		at := day.Add(time.Duration(i%2)*24*time.Hour + time.Duration(i)*time.Minute)
		out[i] = f.event(names[i%3%2], fmt.Sprintf("visitor-%d", i%3), at)
	}
	return out
}

// produce sends the events to the fixture's topic as the collector does.
func (f *fixture) produce(t *testing.T, events ...*eventv1.Event) {
	t.Helper()
	p, err := kafkaio.NewProducer(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, ev := range events {
		value, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		f.produceRaw(t, p, wire.MessageKey(ev.GetSiteId(), ev.GetVisitorId()), value)
	}
}

func (f *fixture) produceRaw(t *testing.T, p *kafkaio.Producer, key, value []byte) {
	t.Helper()
	if err := f.sendEvent(p, key, value); err != nil {
		t.Fatal(err)
	}
}

// sendEvent sends one event message as the collector does and waits for
// its acknowledgement.
func (f *fixture) sendEvent(p *kafkaio.Producer, key, value []byte) error {
	_, err := p.Send(context.Background(), &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &f.topic, Partition: kafka.PartitionAny},
		Key:            key, Value: value,
		Headers: []kafka.Header{
			{Key: wire.HeaderContentType, Value: []byte(wire.ContentTypeProtobuf)},
			{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)},
			{Key: wire.HeaderSchemaVersion, Value: []byte(wire.SchemaVersion)},
		},
	})
	return err
}

// counts returns the site's distinct events in PostgreSQL and ClickHouse.
func (f *fixture) counts(t *testing.T) (pg, ch int64) {
	t.Helper()
	ctx := context.Background()
	_, pg, err := f.pg.SiteCounts(ctx, f.site)
	if err != nil {
		t.Fatal(err)
	}
	_, ch, err = f.ch.SiteCounts(ctx, f.site)
	if err != nil {
		t.Fatal(err)
	}
	return pg, ch
}

// day is a fixed UTC day in the recent past for the fixture's events.
func day() time.Time {
	y, m, d := time.Now().UTC().AddDate(0, 0, -3).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	waitUntil(t, what, timeout, func() (bool, string) { return cond(), "" })
}

// waitUntil is waitFor for a condition that describes what it last saw,
// which a timeout then reports.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() (ok bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
