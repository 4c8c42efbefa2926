package equality

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/store"
)

// BenchmarkDashboardPanels times the dashboard's panel queries on each store
// over a generated data set (FOOTPRINT_QUERY_BENCH_VISITORS visitors, about
// 9 events each; default 10,000). The full benchmark with targets is the
// dashboards scenario of bench/; this one is for quick comparisons:
//
//	go test -run '^$' -bench DashboardPanels ./internal/equality/
func BenchmarkDashboardPanels(b *testing.B) {
	visitors := 10_000
	if v, err := strconv.Atoi(os.Getenv("FOOTPRINT_QUERY_BENCH_VISITORS")); err == nil {
		visitors = v
	}
	events := generatedEvents(7, visitors)
	s := openStoresTB(b, events)
	b.Logf("%d events", len(events))
	panels := map[string]*queryv1.QueryRequest{
		"topline":  {Metrics: []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"}},
		"series":   {Metrics: []string{"visitors", "pageviews"}, Dimensions: []string{"time:day"}, Include: &queryv1.Include{TimeLabels: true}},
		"pages":    {Metrics: []string{"visitors", "percentage"}, Dimensions: []string{"event:page"}, Limit: 10},
		"entry":    {Metrics: []string{"visitors", "percentage"}, Dimensions: []string{"visit:entry_page"}, Limit: 10},
		"sources":  {Metrics: []string{"visitors", "percentage"}, Dimensions: []string{"visit:source"}, Limit: 10},
		"filtered": {Metrics: []string{"visitors", "visits", "bounce_rate"}, Filters: []*queryv1.Filter{filter("event:page", queryv1.FilterOperator_FILTER_OPERATOR_IS, "/pricing")}},
	}
	for name, req := range panels {
		req.SiteId, req.DateRange = site, custom("2026-03-06", "2026-04-02")
		plan, err := engine.NewPlan(req, engine.Options{MaxRangeDays: 800, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range []*store.Store{s.pg, s.ch} {
			b.Run(name+"/"+st.Name(), func(b *testing.B) {
				for b.Loop() {
					if _, _, err := st.Answer(context.Background(), plan); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
