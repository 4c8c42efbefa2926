package equality

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
)

// reference computes the top-line aggregates of [start, end) in Go, from the
// definitions in docs/metrics.md, independently of either store's SQL.
type reference struct {
	visitors, visits, pageviews, events, bounces, durationMicros, visitPageviews int64
	entryVisitors                                                                map[string]int64
	// sourceVisitors: distinct visitors per visit:source.
	sourceVisitors map[string]int64
}

// source is the visit:source of a visit's first event: its referrer host,
// empty when that is the page's own host (url.Hostname, lower case, no "www.").
func source(ev *eventv1.Event) string {
	ref := ev.GetEnrichment().GetReferrerHost()
	u, err := url.Parse(ev.GetPage().GetUrl())
	if err == nil && ref != "" && ref == strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") {
		return ""
	}
	return ref
}

func micros(ev *eventv1.Event) int64 {
	t := ev.GetOccurredAt().AsTime()
	return t.Unix()*1_000_000 + int64(t.Nanosecond()/1000)
}

func computeReference(events []*eventv1.Event, start, end time.Time) reference {
	seen := map[string]bool{}
	byVisitor := map[string][]*eventv1.Event{}
	for _, ev := range events {
		t := ev.GetOccurredAt().AsTime()
		if seen[ev.GetEventId()] || ev.GetEnrichment().GetIsBot() || t.Before(start) || !t.Before(end) {
			continue
		}
		seen[ev.GetEventId()] = true
		byVisitor[ev.GetVisitorId()] = append(byVisitor[ev.GetVisitorId()], ev)
	}
	ref := reference{entryVisitors: map[string]int64{}, sourceVisitors: map[string]int64{}, visitors: int64(len(byVisitor))}
	entrySeen, sourceSeen := map[string]map[string]bool{}, map[string]map[string]bool{}
	countOnce := func(seen map[string]map[string]bool, counts map[string]int64, key, visitor string) {
		if seen[key] == nil {
			seen[key] = map[string]bool{}
		}
		if !seen[key][visitor] {
			seen[key][visitor] = true
			counts[key]++
		}
	}
	for visitor, evs := range byVisitor {
		slices.SortFunc(evs, func(a, b *eventv1.Event) int {
			return cmp.Or(cmp.Compare(micros(a), micros(b)), cmp.Compare(a.GetEventId(), b.GetEventId()))
		})
		var visit []*eventv1.Event
		flush := func() {
			if len(visit) == 0 {
				return
			}
			pv, interactions := int64(0), int64(0)
			for _, e := range visit {
				if e.GetName() == engine.PageView {
					pv++
				}
				if engine.IsInteractive(e.GetName()) {
					interactions++
				}
			}
			ref.visits++
			ref.pageviews += pv
			ref.events += interactions
			ref.visitPageviews += pv
			// Engagement events extend the visit: its span is first to last event of any kind.
			ref.durationMicros += micros(visit[len(visit)-1]) - micros(visit[0])
			if pv == 1 && interactions == 1 {
				ref.bounces++
			}
			countOnce(entrySeen, ref.entryVisitors, visit[0].GetPage().GetPath(), visitor)
			countOnce(sourceSeen, ref.sourceVisitors, source(visit[0]), visitor)
			visit = nil
		}
		for i, e := range evs {
			if i > 0 && micros(e)-micros(evs[i-1]) > engine.VisitGapMicros {
				flush()
			}
			visit = append(visit, e)
		}
		flush()
	}
	return ref
}

// storesMatchReference checks both stores' values (not only their
// agreement) against the Go reference, over the whole data set and over
// single days that cut visits at the range edges.
func storesMatchReference(t *testing.T, s *stores) {
	for _, dr := range []*queryv1.DateRange{allMonth, custom("2026-03-21", "2026-03-21"), custom("2026-03-12", "2026-03-14")} {
		t.Run(dr.GetFrom()+".."+dr.GetTo(), func(t *testing.T) {
			from, _ := time.Parse("2006-01-02", dr.GetFrom())
			to, _ := time.Parse("2006-01-02", dr.GetTo())
			want := computeReference(suiteEvents, from, to.AddDate(0, 0, 1))
			if want.visits == 0 {
				t.Fatal("the reference range holds no visits; the test would prove nothing")
			}
			req := &queryv1.QueryRequest{SiteId: site, DateRange: dr,
				Metrics: []string{"visitors", "visits", "pageviews", "events", "views_per_visit", "bounce_rate", "visit_duration"}}
			_, pg, ch, err := s.answer(t, req, now)
			if err != nil {
				t.Fatal(err)
			}
			ratio := func(n, d int64, scale float64) float64 { return engine.Round2(float64(n) / float64(d) * scale) }
			expected := []float64{float64(want.visitors), float64(want.visits), float64(want.pageviews), float64(want.events),
				ratio(want.visitPageviews, want.visits, 1), ratio(want.bounces, want.visits, 100), ratio(want.durationMicros, want.visits, 1e-6)}
			for _, r := range []*queryv1.StoreResult{pg, ch} {
				got := r.GetRows()[0].GetMetrics()
				if !slices.Equal(got, expected) {
					t.Errorf("%s: got %v, want %v", r.GetStore(), got, expected)
				}
			}

			for dim, counts := range map[string]map[string]int64{"visit:entry_page": want.entryVisitors, "visit:source": want.sourceVisitors} {
				req = &queryv1.QueryRequest{SiteId: site, DateRange: dr, Metrics: []string{"visitors"}, Dimensions: []string{dim}, Limit: 1000}
				_, pg, ch, err = s.answer(t, req, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range []*queryv1.StoreResult{pg, ch} {
					got := firstMetricByDimension(r)
					if fmt.Sprint(got) != fmt.Sprint(counts) {
						t.Errorf("%s %s: got %v, want %v", r.GetStore(), dim, got, counts)
					}
				}
			}
		})
	}
}

// TestFixedVisits pins the visit rule on hand-made events: the 30-minute
// gap is inclusive, a visit crossing midnight is one visit in a range that
// holds both days, and a redelivered event counts once.
func TestFixedVisits(t *testing.T) {
	s := openStores(t, fixedEvents())
	tests := []struct {
		name string
		dr   *queryv1.DateRange
		// visits, pageviews, events, visit_duration (s), bounce_rate
		want []float64
	}{
		{"gap of exactly 30 min joins, 30 min + 1 µs splits", custom("2026-03-10", "2026-03-10"), []float64{2, 3, 3, 900, 50}},
		{"across midnight: one visit of 20 minutes", custom("2026-03-20", "2026-03-21"), []float64{1, 2, 2, 1200, 0}},
		{"range edge cuts the visit", custom("2026-03-21", "2026-03-21"), []float64{1, 1, 1, 0, 100}},
		{"same second, one visit (0.999999 s rounds to 1)", custom("2026-03-12", "2026-03-12"), []float64{1, 2, 3, 1, 0}},
		{"engagement: not an event, no bounce prevented, extends the visit", custom("2026-03-16", "2026-03-16"), []float64{2, 1, 1, 60, 50}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &queryv1.QueryRequest{SiteId: site, DateRange: tc.dr, Metrics: []string{"visits", "pageviews", "events", "visit_duration", "bounce_rate"}}
			_, pg, ch, err := s.answer(t, req, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []*queryv1.StoreResult{pg, ch} {
				if got := r.GetRows()[0].GetMetrics(); !slices.Equal(got, tc.want) {
					t.Errorf("%s: got %v, want %v", r.GetStore(), got, tc.want)
				}
			}
		})
	}
}

// TestFixedSelfReferrals pins the self-referral rule: a referrer on the
// page's own host (with "www.", a port, user info, upper case) is direct;
// a subdomain and another site are sources.
func TestFixedSelfReferrals(t *testing.T) {
	s := openStores(t, fixedEvents())
	want := map[string]string{
		"visit:source":   "map[:2 example.com:1 google.com:1]",
		"visit:referrer": "map[:2 https://example.com/pricing:1 https://www.google.com/search?q=x:1]",
	}
	for dim, w := range want {
		req := &queryv1.QueryRequest{SiteId: site, DateRange: custom("2026-03-17", "2026-03-17"), Metrics: []string{"visitors"}, Dimensions: []string{dim}}
		_, pg, ch, err := s.answer(t, req, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*queryv1.StoreResult{pg, ch} {
			got := firstMetricByDimension(r)
			if fmt.Sprint(got) != w {
				t.Errorf("%s %s: got %v, want %s", r.GetStore(), dim, got, w)
			}
		}
	}
}

// firstMetricByDimension maps each row's first dimension to its first metric.
func firstMetricByDimension(r *queryv1.StoreResult) map[string]int64 {
	got := map[string]int64{}
	for _, row := range r.GetRows() {
		got[row.GetDimensions()[0]] = int64(row.GetMetrics()[0])
	}
	return got
}
