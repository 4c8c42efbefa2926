package equality

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// TestSameMicrosecondTies: two events of a visitor in the same microsecond
// are ordered by event_id, compared as the uuid's bytes (PostgreSQL's uuid
// order; ClickHouse sorts a byte form of the id, not its UUID type). Each
// of 300 visitors has two page views in one microsecond on pages of their
// own, with random ids, so the entry and exit page of every visitor depend
// on that order alone: both stores must name, for each visitor, the page
// of the smaller id as entry and of the larger as exit.
func TestSameMicrosecondTies(t *testing.T) {
	const visitors = 300
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	var events []*eventv1.Event
	entry, exit := map[string]int64{}, map[string]int64{}
	for v := range visitors {
		a := eventSpec{visitor: v, at: at.Add(time.Duration(v) * time.Second), name: "page_view", page: fmt.Sprintf("/tie/%d/a", v)}.build()
		b := eventSpec{visitor: v, at: a.GetOccurredAt().AsTime().Add(300 * time.Nanosecond), name: "page_view", page: fmt.Sprintf("/tie/%d/b", v)}.build()
		events = append(events, a, b)
		// The canonical text sorts like the uuid's bytes.
		first, last := a, b
		if b.GetEventId() < a.GetEventId() {
			first, last = b, a
		}
		entry[first.GetPage().GetPath()]++
		exit[last.GetPage().GetPath()]++
	}
	s := openStores(t, events)
	for dim, want := range map[string]map[string]int64{"visit:entry_page": entry, "visit:exit_page": exit} {
		req := &queryv1.QueryRequest{SiteId: site, DateRange: custom("2026-03-10", "2026-03-10"), Metrics: []string{"visits"},
			Dimensions: []string{dim}, Limit: 1000, IncludeBots: true}
		_, pg, ch, err := s.answer(t, req, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*queryv1.StoreResult{pg, ch} {
			got := firstMetricByDimension(r)
			if !maps.Equal(got, want) {
				wrong := 0
				for _, p := range slices.Sorted(maps.Keys(want)) {
					if got[p] != want[p] {
						wrong++
					}
				}
				t.Errorf("%s %s: %d of %d pages differ from the id order", r.GetStore(), dim, wrong, len(want))
			}
		}
	}
}
