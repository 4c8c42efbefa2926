package engine

import (
	"slices"
	"strings"
	"testing"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

func row(dim string, visitors, visits, bounces int64) RawRow {
	r := RawRow{Dims: []string{dim}}
	r.Aggs[aggVisitors], r.Aggs[aggVisits], r.Aggs[aggBounces] = visitors, visits, bounces
	return r
}

// Time labels fill empty days; comparison rows match by position (the
// first day of the range with the first day of the previous period).
func TestBuildFillsAndComparesByPosition(t *testing.T) {
	req := &queryv1.QueryRequest{SiteId: "s", DateRange: &queryv1.DateRange{From: "2026-03-10", To: "2026-03-12"},
		Metrics: []string{"visitors", "bounce_rate"}, Dimensions: []string{"time:day"},
		Include: &queryv1.Include{TimeLabels: true, Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}}
	p, err := NewPlan(req, opts())
	if err != nil {
		t.Fatal(err)
	}
	rows, total := p.Build(Answer{
		Rows:     []RawRow{row("2026-03-12", 4, 4, 1)},
		CompRows: []RawRow{row("2026-03-07", 2, 2, 2), row("2026-03-09", 8, 8, 2)},
	})
	if total != 3 || len(rows) != 3 {
		t.Fatalf("%d rows, total %d, want 3 and 3", len(rows), total)
	}
	var days []string
	for _, r := range rows {
		days = append(days, r.GetDimensions()[0])
	}
	if !slices.Equal(days, []string{"2026-03-10", "2026-03-11", "2026-03-12"}) {
		t.Errorf("days %v", days)
	}
	first, last := rows[0], rows[2]
	if !slices.Equal(first.GetMetrics(), []float64{0, 0}) || !slices.Equal(first.GetComparisonMetrics(), []float64{2, 100}) ||
		!slices.Equal(first.GetChange(), []float64{-100, -100}) {
		t.Errorf("first day %v %v %v", first.GetMetrics(), first.GetComparisonMetrics(), first.GetChange())
	}
	if !slices.Equal(last.GetMetrics(), []float64{4, 25}) || !slices.Equal(last.GetComparisonMetrics(), []float64{8, 25}) ||
		!slices.Equal(last.GetChange(), []float64{-50, 0}) {
		t.Errorf("last day %v %v %v", last.GetMetrics(), last.GetComparisonMetrics(), last.GetChange())
	}
}

func TestCompareReportsDifferences(t *testing.T) {
	a := &queryv1.StoreResult{Store: queryv1.Store_STORE_POSTGRES, Rows: []*queryv1.Row{{Dimensions: []string{"/"}, Metrics: []float64{3}}}}
	b := &queryv1.StoreResult{Store: queryv1.Store_STORE_CLICKHOUSE, Rows: []*queryv1.Row{{Dimensions: []string{"/"}, Metrics: []float64{4}}}}
	p := Compare([]string{"visitors"}, a, b)
	if p.GetMatch() || len(p.GetDifferences()) != 1 || p.GetDifferences()[0] != "row 0 metric visitors: postgres 3, clickhouse 4" {
		t.Errorf("parity %v", p)
	}
	if !Compare([]string{"visitors"}, a, a).GetMatch() {
		t.Error("identical results do not match")
	}
}

// include.total_rows is counted by the rows statement itself; the separate
// count runs only for a page past the last row, and never for the
// comparison period or for rows that are not paged in SQL.
func TestTotalRowsCountedInTheRowsStatement(t *testing.T) {
	req := &queryv1.QueryRequest{SiteId: "s", DateRange: &queryv1.DateRange{Preset: "7d"}, Metrics: []string{"visitors", "percentage"},
		Dimensions: []string{"visit:source"}, Limit: 10, Include: &queryv1.Include{TotalRows: true, Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}}
	p, err := NewPlan(req, opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Dialect{Postgres{Schema: "footprint"}, ClickHouse{Database: "footprint"}} {
		s := p.Statements(d)
		if !s.Rows.RowCount || !s.Rows.TotalVisitors || s.Rows.Ints() != NumAggregates+2 || !strings.Contains(s.Rows.SQL, "total_rows") {
			t.Errorf("%s: rows statement does not count its rows and visitors: %+v", d.Name(), s.Rows)
		}
		if s.CompRows.RowCount || !s.CompRows.TotalVisitors || s.Count == nil {
			t.Errorf("%s: comparison rows counted (%v), their visitors not (%v), or no fallback count (%v)",
				d.Name(), s.CompRows.RowCount, s.CompRows.TotalVisitors, s.Count)
		}
		if r, totals := s.Rows.Read([]string{"x"}, []int64{1, 2, 3, 4, 5, 6, 7, 40, 90}); r.Aggs[aggVisitors] != 1 || totals != (RowTotals{Rows: 40, Visitors: 90}) {
			t.Errorf("%s: read %v %+v", d.Name(), r, totals)
		}
	}
	if p.RecountRows(0) || p.RecountRows(3) {
		t.Error("recount at offset 0")
	}
	p.Offset = 20
	if !p.RecountRows(0) || p.RecountRows(1) {
		t.Error("a page past the last row must be recounted, a non-empty one not")
	}

	req.Dimensions, req.Metrics, req.Include = nil, []string{"visitors"}, &queryv1.Include{TotalRows: true}
	if p, err = NewPlan(req, opts()); err != nil {
		t.Fatal(err)
	}
	s := p.Statements(Postgres{Schema: "footprint"})
	if s.Rows.RowCount || s.Count != nil {
		t.Errorf("no dimension: nothing to count in SQL (%v, %v)", s.Rows.RowCount, s.Count)
	}
	if _, total := p.Build(Answer{Rows: []RawRow{row("", 3, 4, 1)}}); total != 1 {
		t.Errorf("no dimension: total_rows %d, want 1", total)
	}
}
