package consistency

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
	"github.com/footprint/footprint/store/storetest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStores(t *testing.T) (*postgres.Store, *clickhouse.Store) {
	t.Helper()
	ctx := context.Background()
	pgCfg := postgres.DefaultConfig()
	pgCfg.URL = storetest.PostgresDB(t)
	pg, err := postgres.Open(ctx, pgCfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	ch, err := clickhouse.Open(ctx, storetest.ClickHouseDB(t), discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	if err := pg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ch.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return pg, ch
}

func event(site string, at time.Time) *eventv1.Event {
	return &eventv1.Event{
		EventId: uuid.NewString(), SiteId: site, Name: "page_view", VisitorId: "v1",
		OccurredAt: timestamppb.New(at), ReceivedAt: timestamppb.New(at),
	}
}

func write(t *testing.T, s interface {
	WriteBatch(context.Context, []*eventv1.Event) error
}, evs ...*eventv1.Event) {
	t.Helper()
	if err := s.WriteBatch(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// The gauge follows the stores: 0 while they agree, the number of differing
// days when one lacks events, 0 again once it has them; today is never
// compared, and a site's failing check keeps its last value.
func TestMismatchedDaysFollowTheStores(t *testing.T) {
	pg, ch := openStores(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day1, day2, today := now.AddDate(0, 0, -2), now.AddDate(0, 0, -1), now
	shared := []*eventv1.Event{event("s1", day1), event("s1", day2), event("s2", day2)}
	write(t, pg, shared...)
	write(t, ch, shared...)

	reg := prometheus.NewRegistry()
	c, err := New(pg, ch, []string{"s1", "s2"}, 7, reg, discard())
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	gauge := func(site string) float64 { return testutil.ToFloat64(c.mismatched.WithLabelValues(site)) }

	c.CheckAll(context.Background())
	if gauge("s1") != 0 || gauge("s2") != 0 {
		t.Fatalf("agreeing stores: s1 %v, s2 %v; want 0, 0", gauge("s1"), gauge("s2"))
	}

	onlyPG := []*eventv1.Event{event("s1", day1), event("s1", day2)}
	write(t, pg, onlyPG...)
	write(t, pg, event("s1", today)) // today is left out of the window
	c.CheckAll(context.Background())
	if gauge("s1") != 2 || gauge("s2") != 0 {
		t.Fatalf("ClickHouse lacks events on two days: s1 %v, s2 %v; want 2, 0", gauge("s1"), gauge("s2"))
	}

	write(t, ch, onlyPG...)
	c.CheckAll(context.Background())
	if gauge("s1") != 0 {
		t.Fatalf("after ClickHouse caught up: s1 %v, want 0", gauge("s1"))
	}

	write(t, pg, event("s1", day2))
	c.CheckAll(context.Background())
	_ = ch.Close() // ClickHouse becomes unreachable: the check fails
	c.CheckAll(context.Background())
	if gauge("s1") != 1 || testutil.ToFloat64(c.failures) != 2 {
		t.Fatalf("failing check: s1 %v (want the last value 1), failures %v (want 2, one per site)",
			gauge("s1"), testutil.ToFloat64(c.failures))
	}
}
