package cli_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
)

// startWriter runs the writers' consume loop in-process on the fixture's
// topic into PostgreSQL, with limits; stop writes, commits and leaves.
func (f *fixture) startWriter(t *testing.T, group string, maxPropertyValue int) (stop func()) {
	t.Helper()
	cfg := sink.DefaultConfig("pg_writer")
	cfg.Brokers, cfg.Topic, cfg.DLQTopic, cfg.Group, cfg.ErasureTopic = f.brokers, f.topic, f.dlq, group, f.erasures
	cfg.BatchMaxWait = 50 * time.Millisecond
	cfg.Limits.MaxPropertyValueLength = maxPropertyValue
	loop, err := sink.New(cfg, f.pg, prometheus.NewRegistry(), discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := loop.Run(ctx); err != nil {
			t.Errorf("writer: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// caughtUp reports whether group has committed the end of every partition.
func (f *fixture) caughtUp(t *testing.T, group string) bool {
	t.Helper()
	code, out, _ := f.runQuiet(t, "lag", "--group", group)
	if code != 0 {
		t.Fatalf("lag: exit %d", code)
	}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 5 && fields[0] == group && fields[2] == "total" {
			return fields[3] == "0"
		}
	}
	t.Fatalf("lag output has no total for %s:\n%s", group, out)
	return false
}

// A poison message (a property value over a strict writer's limit) shows
// up in `dlq list` with its reason and origin, and in `dlq show` with its
// headers and event; once the writer's limit is fixed, redriving the letter
// twice stores the event once (same event_id, idempotent stores).
func TestDLQPoisonListedAndRedrivenOnce(t *testing.T) {
	f := newFixture(t)
	good := f.event("page_view", "visitor-1", day())
	poison := f.event("signup", "visitor-2", day())
	poison.Properties = map[string]string{"plan": strings.Repeat("x", 64)}
	f.produce(t, good, poison)

	group := testenv.UniqueName("writer")
	stop := f.startWriter(t, group, 16) // the bug: a limit below what producers send
	waitFor(t, "the strict writer to catch up", time.Minute, func() bool { return f.caughtUp(t, group) })
	stop()
	if pg, _ := f.counts(t); pg != 1 {
		t.Fatalf("postgres holds %d events, want only the good one", pg)
	}

	code, out, _ := f.run(t, "dlq", "list")
	if code != 0 || !strings.Contains(out, "1 dead letters") {
		t.Fatalf("dlq list: exit %d, want 0 and one letter", code)
	}
	src := f.sourceOf(t, poison.GetEventId())
	for _, want := range []string{"0:0", group, src, "not storable", "properties"} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq list lacks %q", want)
		}
	}
	code, out, _ = f.run(t, "dlq", "show", "0:0")
	for _, want := range []string{poison.GetEventId(), "footprint-dlq-error", "footprint-dlq-offset", "content-type", `"siteId": "` + f.site} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq show lacks %q", want)
		}
	}
	if code != 0 {
		t.Fatalf("dlq show: exit %d", code)
	}

	f.startWriter(t, group, 1024) // the fix is deployed
	for range 2 {
		if code, out, _ := f.run(t, "dlq", "redrive", "0:0"); code != 0 || !strings.Contains(out, "redrove 0:0 to "+f.topic) {
			t.Fatalf("redrive: exit %d, output %q", code, out)
		}
	}
	waitFor(t, "the fixed writer to store both redriven copies", time.Minute, func() bool { return f.caughtUp(t, group) })
	rows, distinct, err := f.pg.SiteCounts(context.Background(), f.site)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2 || distinct != 2 {
		t.Fatalf("postgres holds %d rows, %d distinct events; want the good and the redriven event once each", rows, distinct)
	}
	if _, err := f.pg.ReadEvent(context.Background(), poison.GetEventId()); err != nil {
		t.Fatalf("redriven event: %v", err)
	}
}

// sourceOf returns topic/partition:offset of the event's message.
func (f *fixture) sourceOf(t *testing.T, eventID string) string {
	t.Helper()
	r, err := kafkaio.NewReader(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var src string
	err = r.ReadAll(context.Background(), f.topic, func(m *kafka.Message) error {
		if strings.Contains(string(m.Value), eventID) {
			src = fmt.Sprintf("%s/%d:%d", f.topic, m.TopicPartition.Partition, m.TopicPartition.Offset)
		}
		return nil
	})
	if err != nil || src == "" {
		t.Fatalf("message of %s not found (%v)", eventID, err)
	}
	return src
}
