package cli_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
)

// traffic produces events of two visitors of the fixture's site, one of
// each per round, until stopped; it counts what it produced per visitor.
type traffic struct {
	f        *fixture
	stop     chan struct{}
	done     sync.WaitGroup
	produced map[string]*atomic.Int64
}

func (f *fixture) startTraffic(t *testing.T, visitors ...string) *traffic {
	t.Helper()
	p, err := kafkaio.NewProducer(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	tr := &traffic{f: f, stop: make(chan struct{}), produced: map[string]*atomic.Int64{}}
	for _, v := range visitors {
		tr.produced[v] = &atomic.Int64{}
	}
	tr.done.Add(1)
	go func() {
		defer tr.done.Done()
		defer p.Close()
		for {
			select {
			case <-tr.stop:
				return
			default:
			}
			for _, v := range visitors {
				ev := f.event("page_view", v, time.Now().UTC())
				value, err := proto.Marshal(ev)
				if err != nil {
					t.Error(err)
					return
				}
				// Each send waits for its acknowledgement: that paces the traffic.
				if err := f.sendEvent(p, wire.MessageKey(ev.GetSiteId(), v), value); err != nil {
					t.Error(err)
					return
				}
				tr.produced[v].Add(1)
			}
		}
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(tr.halt) })
	return tr
}

// halt stops the traffic and waits for the last send.
func (tr *traffic) halt() {
	select {
	case <-tr.stop:
	default:
		close(tr.stop)
	}
	tr.done.Wait()
}

// visitorCounts returns visitor's distinct events in PostgreSQL and ClickHouse.
func (f *fixture) visitorCounts(t *testing.T, visitor string) (pg, chn int64) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, f.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT count(DISTINCT event_id) FROM footprint.events WHERE site_id = $1 AND visitor_id = $2",
		f.site, visitor).Scan(&pg); err != nil {
		t.Fatal(err)
	}
	c, err := ch.Open(&ch.Options{Addr: []string{f.chCfg.Addr}, Auth: ch.Auth{Database: f.chCfg.Database, Username: f.chCfg.User}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n uint64
	if err := c.QueryRow(ctx, "SELECT uniqExact(event_id) FROM events WHERE site_id = ? AND visitor_id = ?", f.site, visitor).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return pg, int64(n)
}

// A visitor erased while both writer binaries run and their events keep
// arriving is gone from both stores afterwards: the events in the writers'
// batches at the time of the erasure (removed by the second deletion after
// the writers passed the erasure) and every event produced after it (the
// writers skip them). A restarted writer skips them from its first write
// (the set is rebuilt from the compacted topic), and replays of both stores
// do not bring any back. The other visitor's events are all stored.
func TestEraseWhileLiveWritersRunLeavesNothing(t *testing.T) {
	f := newFixture(t)
	pgBin, chBin := buildWriter(t), buildService(t, "ch-writer")
	pgGroup, chGroup := testenv.UniqueName("pg_writer"), testenv.UniqueName("ch_writer")
	pgw := f.startWriterBinary(t, pgBin, pgGroup)
	f.startService(t, "ch-writer", chBin, "FOOTPRINT_WRITER_GROUP="+chGroup,
		"FOOTPRINT_CH_ADDR="+f.chCfg.Addr, "FOOTPRINT_CH_DATABASE="+f.chCfg.Database)

	const gone, kept = "visitor-gone", "visitor-kept"
	tr := f.startTraffic(t, gone, kept)
	waitFor(t, "both stores to hold the visitor's live events", time.Minute, func() bool {
		pg, chn := f.visitorCounts(t, gone)
		return pg >= 20 && chn >= 20
	})

	code, out, _ := f.run(t, "erase", "--site", f.site, "--visitor", gone, "--operator", "ops")
	if code != 0 || !strings.Contains(out, "passed the erasure") || !strings.Contains(out, pgGroup) || !strings.Contains(out, chGroup) {
		t.Fatalf("erase: exit %d; want 0 and a wait for both writer groups", code)
	}
	after := tr.produced[gone].Load()
	waitFor(t, "more of the erased visitor's events to be produced", time.Minute, func() bool {
		return tr.produced[gone].Load() >= after+30
	})
	tr.halt()
	f.caughtUpBoth(t, pgGroup, chGroup)
	f.assertGone(t, gone, kept, tr.produced[kept].Load())

	// Restart: the pg-writer is down while more events arrive.
	if err := pgw.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop pg-writer: %v", err)
	}
	tr = f.startTraffic(t, gone, kept)
	waitFor(t, "events produced while the pg-writer is down", time.Minute, func() bool { return tr.produced[gone].Load() >= 20 })
	tr.halt()
	keptTotal := f.keptTotal(t, kept)
	f.startWriterBinary(t, pgBin, pgGroup)
	f.caughtUpBoth(t, pgGroup, chGroup)
	f.assertGone(t, gone, kept, keptTotal)

	out = f.replay(t, "clickhouse", "--rebuild")
	if !strings.Contains(out, "skipped") || strings.Contains(out, "skipped 0 ") {
		t.Errorf("replay output %q, want the erased events skipped", out)
	}
	f.replay(t, "postgres")
	f.assertGone(t, gone, kept, keptTotal)
}

// keptTotal is every event of visitor produced so far (both stores must end
// with all of them).
func (f *fixture) keptTotal(t *testing.T, visitor string) int64 {
	t.Helper()
	r, err := kafkaio.NewReader(f.brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int64
	// Every event of the test is on the fixture's topic; count the visitor's.
	if err := r.ReadAll(context.Background(), f.topic, func(m *kafka.Message) error {
		var ev eventv1.Event
		if err := proto.Unmarshal(m.Value, &ev); err != nil {
			return err
		}
		if ev.GetVisitorId() == visitor {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) caughtUpBoth(t *testing.T, groups ...string) {
	t.Helper()
	for _, g := range groups {
		waitFor(t, g+" to catch up", 2*time.Minute, func() bool { return f.caughtUp(t, g) })
	}
}

// assertGone checks that no event of gone is in either store and that every
// one of the keptN events of kept is.
func (f *fixture) assertGone(t *testing.T, gone, kept string, keptN int64) {
	t.Helper()
	if pg, chn := f.visitorCounts(t, gone); pg != 0 || chn != 0 {
		t.Fatalf("erased visitor: postgres %d, clickhouse %d events, want 0 each", pg, chn)
	}
	if pg, chn := f.visitorCounts(t, kept); pg != keptN || chn != keptN {
		t.Fatalf("other visitor: postgres %d, clickhouse %d events, want %d each", pg, chn, keptN)
	}
}
