package equality

import (
	"strings"
	"testing"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
)

var hostile = []string{
	"x'; DROP TABLE events; --",
	`\' OR 1=1 --`,
	"$1",
	"') UNION SELECT 1 --",
	"`backtick`",
	"a\x00b",
	"\\",
	strings.Repeat("'", 50),
	"%_*",
}

// injection sends hostile strings through filter values and property
// keys of event:props:<key> dimensions and filters: every query must run,
// match only what it literally says, and leave the data intact.
func injection(t *testing.T, s *stores) {
	before := toplineVisitors(t, s)
	ops := operators
	for _, h := range hostile {
		for _, op := range ops {
			for _, dim := range []string{"event:page", "visit:referrer", "event:props:file", "event:props:" + h} {
				if strings.TrimPrefix(dim, "event:props:") == "" {
					continue
				}
				req := &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"visitors", "events"},
					Dimensions: []string{dim}, Filters: []*queryv1.Filter{filter(dim, op, h)}}
				_, pg, ch, err := s.answer(t, req, now)
				if strings.ContainsRune(h, 0) {
					// No store can hold NUL in text: refused up front, naming the field.
					if !engine.IsInvalidArgument(err) {
						t.Fatalf("%q %s %s: want INVALID_ARGUMENT, got %v", h, op, dim, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%q %s %s: %v", h, op, dim, err)
				}
				if len(pg.GetRows()) != len(ch.GetRows()) {
					t.Fatalf("%q %s %s: postgres %d rows, clickhouse %d", h, op, dim, len(pg.GetRows()), len(ch.GetRows()))
				}
			}
		}
	}
	// The stored hostile property value is found by exact match, once.
	req := &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"events"},
		Filters: []*queryv1.Filter{filter("event:props:file", queryv1.FilterOperator_FILTER_OPERATOR_IS, hostile[0])}}
	_, pg, ch, err := s.answer(t, req, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*queryv1.StoreResult{pg, ch} {
		if got := r.GetRows()[0].GetMetrics()[0]; got != 1 {
			t.Errorf("%s: the hostile property value matched %v events, want 1", r.GetStore(), got)
		}
	}
	if after := toplineVisitors(t, s); after != before {
		t.Errorf("visitors changed from %v to %v: the data was altered", before, after)
	}
}

func toplineVisitors(t *testing.T, s *stores) [2]float64 {
	t.Helper()
	_, pg, ch, err := s.answer(t, &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"visitors"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	return [2]float64{pg.GetRows()[0].GetMetrics()[0], ch.GetRows()[0].GetMetrics()[0]}
}
