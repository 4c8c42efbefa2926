package equality

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/store"
)

// realtimeSame: both stores see the same visitors and top pages in the last
// five minutes, bots left out unless asked for.
func realtimeSame(t *testing.T, s *stores) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, bots := range []bool{false, true} {
		var results []*queryv1.RealtimeResult
		for _, st := range []*store.Store{s.pg, s.ch} {
			r, err := st.Realtime(ctx, site, bots, now)
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r)
		}
		pg, ch := results[0], results[1]
		pages := func(r *queryv1.RealtimeResult) []string {
			var out []string
			for _, p := range r.GetTopPages() {
				out = append(out, p.GetPage()+"="+strconv.FormatInt(p.GetVisitors(), 10))
			}
			return out
		}
		if pg.GetVisitors() != ch.GetVisitors() || !slices.Equal(pages(pg), pages(ch)) {
			t.Errorf("bots=%v: postgres %d %v, clickhouse %d %v", bots, pg.GetVisitors(), pages(pg), ch.GetVisitors(), pages(ch))
		}
		want := realtimeVisitors(s.events, bots)
		if want < 2 || pg.GetVisitors() != want {
			t.Errorf("bots=%v: %d realtime visitors, want %d", bots, pg.GetVisitors(), want)
		}
	}
}

// realtimeVisitors counts, in Go, the visitors of the window Realtime reads.
func realtimeVisitors(events []*eventv1.Event, bots bool) int64 {
	end := now.Truncate(time.Second).Add(time.Second)
	start := end.Add(-engine.RealtimeWindow)
	seen := map[string]bool{}
	for _, ev := range events {
		at := ev.GetOccurredAt().AsTime()
		if at.Before(start) || !at.Before(end) || (ev.GetEnrichment().GetIsBot() && !bots) {
			continue
		}
		seen[ev.GetVisitorId()] = true
	}
	return int64(len(seen))
}
