package equality

import (
	"fmt"
	"slices"
	"testing"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// totalRowsCountsEveryRow: include.total_rows is counted in the rows
// statement itself (and by a separate count only for a page past the last
// row). On each store it must equal the number of rows the same query
// returns unpaged, and every page must be that list's slice, for event,
// visit and time dimensions, with and without a filter, on pages inside,
// at the end of and past the rows.
func totalRowsCountsEveryRow(t *testing.T, s *stores) {
	pageFilter := []*queryv1.Filter{filter("event:page", queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT, "pricing")}
	for _, dim := range []string{"event:page", "visit:entry_page", "visit:source", "time:day"} {
		for _, filters := range [][]*queryv1.Filter{nil, pageFilter} {
			req := func(limit, offset int32, total bool) *queryv1.QueryRequest {
				return &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"visitors", "percentage"},
					Dimensions: []string{dim}, Filters: filters, Limit: limit, Offset: offset, Include: &queryv1.Include{TotalRows: total}}
			}
			_, pgAll, chAll, err := s.answer(t, req(1000, 0, false), now)
			if err != nil {
				t.Fatal(err)
			}
			n := int32(len(pgAll.GetRows()))
			if n < 4 || len(chAll.GetRows()) != int(n) {
				t.Fatalf("%s filtered=%v: %d and %d rows unpaged, want the same, at least 4", dim, filters != nil, n, len(chAll.GetRows()))
			}
			for _, offset := range []int32{0, 2, n - 1, n, n + 5} {
				name := fmt.Sprintf("%s filtered=%v offset=%d", dim, filters != nil, offset)
				_, pg, ch, err := s.answer(t, req(3, offset, true), now)
				if err != nil {
					t.Fatal(err)
				}
				want := pgAll.GetRows()[min(offset, n):min(offset+3, n)]
				for i, r := range []*queryv1.StoreResult{pg, ch} {
					if r.GetTotalRows() != int64(n) {
						t.Errorf("%s store %d: total_rows %d, want %d", name, i, r.GetTotalRows(), n)
					}
					if !samePage(r.GetRows(), want) {
						t.Errorf("%s store %d: page %v, want %v", name, i, r.GetRows(), want)
					}
				}
			}
		}
	}
}

func samePage(got, want []*queryv1.Row) bool {
	return slices.EqualFunc(got, want, func(a, b *queryv1.Row) bool {
		return slices.Equal(a.GetDimensions(), b.GetDimensions()) && slices.Equal(a.GetMetrics(), b.GetMetrics())
	})
}
