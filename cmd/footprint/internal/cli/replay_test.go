package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/footprint/footprint/internal/testenv"
)

// replay runs `footprint replay` into store from the beginning with the
// test's own group and checks it finished.
func (f *fixture) replay(t *testing.T, store string, extra ...string) string {
	t.Helper()
	args := []string{"replay", "--store", store, "--group", testenv.UniqueName("replay")}
	if !slices.Contains(extra, "--from") {
		args = append(args, "--from-beginning")
	}
	args = append(args, extra...)
	code, out, _ := f.run(t, args...)
	if code != 0 {
		t.Fatalf("replay %s: exit %d", store, code)
	}
	return out
}

func (f *fixture) consistent(t *testing.T) {
	t.Helper()
	from, to := day().Format(time.DateOnly), day().AddDate(0, 0, 1).Format(time.DateOnly)
	if code, out, _ := f.run(t, "consistency", "--site", f.site, "--from", from, "--to", to); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("consistency: exit %d, want the stores to agree", code)
	}
}

// Replay fills both stores from Kafka; after ClickHouse's events table is
// dropped by hand, a replay with --rebuild restores it to equality.
func TestReplayRebuildsDroppedClickHouseTable(t *testing.T) {
	f := newFixture(t)
	const n = 300
	f.produce(t, f.events(n, day())...)
	if out := f.replay(t, "postgres"); !strings.Contains(out, "replayed 300 messages") {
		t.Errorf("replay output %q, want 300 messages", out)
	}
	f.replay(t, "clickhouse")
	if pg, chn := f.counts(t); pg != n || chn != n {
		t.Fatalf("after replay: postgres %d, clickhouse %d events, want %d each", pg, chn, n)
	}
	f.consistent(t)

	conn, err := ch.Open(&ch.Options{Addr: []string{f.chCfg.Addr}, Auth: ch.Auth{Database: f.chCfg.Database, Username: f.chCfg.User}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Exec(context.Background(), "DROP TABLE events"); err != nil {
		t.Fatal(err)
	}
	f.replay(t, "clickhouse", "--rebuild")
	if pg, chn := f.counts(t); pg != n || chn != n {
		t.Fatalf("after the rebuild: postgres %d, clickhouse %d events, want %d each", pg, chn, n)
	}
	f.consistent(t)
}

// An interrupted replay (SIGINT cancels the context) keeps its group's
// offsets; the next run resumes from them and reads only the rest.
func TestReplayResumesAfterInterruption(t *testing.T) {
	f := newFixture(t)
	const n = 300
	f.produce(t, f.events(n, day())...)
	f.env["FOOTPRINT_WRITER_BATCH_MAX_EVENTS"] = "1" // one commit per event: a replay long enough to interrupt
	group := testenv.UniqueName("replay")
	r, err := kafkaio.NewReader(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	go func() {
		for ctx.Err() == nil { // interrupt once the replay has committed something
			if c, err := r.Committed(ctx, group, f.topic); err == nil && sum(c) > 0 {
				interrupt()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	code, _, errOut := f.runCtx(t, ctx, "replay", "--store", "postgres", "--from-beginning", "--group", group)
	if code != 130 || !strings.Contains(errOut, "run the same command again to resume") {
		t.Fatalf("interrupted replay: exit %d, want 130 and how to resume", code)
	}
	stored, _ := f.counts(t)
	if stored == 0 || stored >= n {
		t.Fatalf("%d events stored by the interrupted replay, want some but not all %d", stored, n)
	}
	code, out, errOut := f.run(t, "replay", "--store", "postgres", "--from-beginning", "--group", group)
	if code != 0 || !strings.Contains(errOut, "resuming from the committed offsets") {
		t.Fatalf("second run: exit %d, want 0 and resumed", code)
	}
	var replayed int64
	if _, err := fmt.Sscanf(out, "replayed %d messages", &replayed); err != nil || replayed >= n {
		t.Fatalf("resumed replay read %d messages (%v), want fewer than %d", replayed, err, n)
	}
	if pg, _ := f.counts(t); pg != n {
		t.Fatalf("postgres holds %d events after the resumed replay, want %d", pg, n)
	}
}

func sum(m map[int32]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

// Erasing a visitor removes their events from both stores, leaves the
// others, records the request (without event data) and an audit record,
// and a later replay of a rebuilt store does not bring them back.
func TestEraseRemovesVisitorAndReplayDoesNotRestore(t *testing.T) {
	f := newFixture(t)
	evs := f.events(60, day()) // 20 events per visitor-0/1/2
	f.produce(t, evs...)
	f.replay(t, "postgres")
	f.replay(t, "clickhouse")

	code, out, _ := f.run(t, "erase", "--site", f.site, "--visitor", "visitor-1", "--operator", "alice")
	if code != 0 {
		t.Fatalf("erase: exit %d", code)
	}
	for _, want := range []string{"postgres: removed 20 events of visitor visitor-1", "clickhouse: removed 20 events of visitor visitor-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("erase output lacks %q", want)
		}
	}
	f.assertVisitors(t, 40)

	recs := f.readJSON(t, f.erasures)
	if len(recs) != 1 || recs[0]["visitor"] != "visitor-1" || recs[0]["operator"] != "alice" || recs[0]["site"] != f.site {
		t.Fatalf("erasure records %v, want one for visitor-1 by alice", recs)
	}
	for k := range recs[0] {
		if k != "site" && k != "visitor" && k != "operator" && k != "erased_at" {
			t.Errorf("erasure record holds %q, want only site, visitor, operator, erased_at", k)
		}
	}
	audits := f.readJSON(t, f.audit)
	if len(audits) != 1 || audits[0]["action"] != "erase" {
		t.Fatalf("audit records %v, want one erase", audits)
	}
	if removed, _ := audits[0]["removed"].(map[string]any); removed["postgres"] != 20.0 || removed["clickhouse"] != 20.0 {
		t.Errorf("audit removed %v, want 20 per store", audits[0]["removed"])
	}

	out = f.replay(t, "clickhouse", "--rebuild")
	if !strings.Contains(out, "skipped 20 erased events") {
		t.Errorf("replay output %q, want 20 skipped", out)
	}
	f.replay(t, "postgres")
	f.assertVisitors(t, 40)
	f.consistent(t)
}

// assertVisitors checks that visitor-1 is gone from both stores and the
// site holds want events in each.
func (f *fixture) assertVisitors(t *testing.T, want int64) {
	t.Helper()
	if pg, chn := f.counts(t); pg != want || chn != want {
		t.Fatalf("postgres %d, clickhouse %d events, want %d each", pg, chn, want)
	}
	set, err := f.erasureSet(t)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 1 {
		t.Fatalf("%d erased subjects, want 1", set.Len())
	}
}

func (f *fixture) erasureSet(t *testing.T) (*erasure.View, error) {
	v, err := erasure.Open(f.brokers, f.erasures, discard())
	if err != nil {
		return nil, err
	}
	t.Cleanup(v.Close)
	return v, v.Sync(context.Background())
}

// readJSON reads every JSON message of topic.
func (f *fixture) readJSON(t *testing.T, topic string) []map[string]any {
	t.Helper()
	r, err := kafkaio.NewReader(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []map[string]any
	err = r.ReadAll(context.Background(), topic, func(m *kafka.Message) error {
		var v map[string]any
		if err := json.Unmarshal(m.Value, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// --from TIME starts each partition at the first message produced at or
// after TIME: events produced before it are not replayed.
func TestReplayFromTime(t *testing.T) {
	f := newFixture(t)
	before, after := f.events(20, day()), f.events(30, day())
	f.produce(t, before...)
	from := time.Now().Add(2 * time.Millisecond) // Kafka timestamps are milliseconds
	waitFor(t, "the clock to pass the cut", time.Second, func() bool { return time.Now().After(from.Add(2 * time.Millisecond)) })
	f.produce(t, after...)
	out := f.replay(t, "postgres", "--from", from.UTC().Format(time.RFC3339Nano))
	if !strings.Contains(out, "replayed 30 messages") {
		t.Errorf("replay output %q, want 30 messages", out)
	}
	if pg, _ := f.counts(t); pg != 30 {
		t.Fatalf("postgres holds %d events, want the 30 produced after --from", pg)
	}
	for _, ev := range before[:3] {
		if ids, _ := f.pg.StoredIDs(context.Background(), []string{ev.GetEventId()}); len(ids) != 0 {
			t.Errorf("event %s produced before --from was replayed", ev.GetEventId())
		}
	}
}
