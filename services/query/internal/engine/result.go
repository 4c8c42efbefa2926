package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// RawRow is one row of a Rows or Totals statement: dimension texts and the
// exact integer aggregates.
type RawRow struct {
	Dims []string
	Aggs [numAggregates]int64
}

// NumAggregates is the number of int64 columns after the dimensions.
const NumAggregates = int(numAggregates)

// Round2 rounds half away from zero to two decimals: the one rounding of
// every ratio metric (views_per_visit, bounce_rate, visit_duration,
// percentage). Both stores return exact integers, so they round alike.
func Round2(x float64) float64 { return math.Round(x*100) / 100 }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// value computes a metric of a row; totalVisitors is the denominator of
// percentage.
func value(metric string, r RawRow, totalVisitors int64) float64 {
	def := metrics[metric]
	num := float64(r.Aggs[def.numerator])
	switch {
	case metric == MetricPercentage:
		if totalVisitors == 0 {
			return 0
		}
		return Round2(num / float64(totalVisitors) * def.scale)
	case def.denominator < 0:
		return num
	}
	den := float64(r.Aggs[def.denominator])
	if den == 0 {
		return 0
	}
	return Round2(num / den * def.scale)
}

// sortValue is the exact sort key of a metric (what the SQL orders by).
func sortValue(metric string, r RawRow) float64 {
	def := metrics[metric]
	if def.denominator < 0 {
		return float64(r.Aggs[def.numerator])
	}
	if r.Aggs[def.denominator] == 0 {
		return 0
	}
	return float64(r.Aggs[def.numerator]) / float64(r.Aggs[def.denominator])
}

// Answer is one store's raw answer to a plan.
type Answer struct {
	Rows []RawRow
	// Totals: the rows before paging (with include.total_rows) and the
	// distinct visitors of all rows (with percentage; only needed, and
	// only known, when there are rows).
	Totals RowTotals
	// The comparison period's rows and visitors, with include.comparison.
	CompRows   []RawRow
	CompTotals RowTotals
}

// Statements lists what a store runs for the plan, in Answer's order.
// The Rows statements carry their totals (RowTotals); Count is run only
// when Plan.RecountRows says so.
type Statements struct {
	Rows, Count, CompRows *Statement
}

// Statements builds every statement the plan needs in dialect d.
func (p *Plan) Statements(d Dialect) Statements {
	var s Statements
	rows := p.rows(d, p.Range, p.countsRowsInSQL())
	s.Rows = &rows
	if p.countsRowsInSQL() {
		c := p.CountRows(d, p.Range)
		s.Count = &c
	}
	if p.Comparison != nil {
		cr := p.Rows(d, *p.Comparison)
		s.CompRows = &cr
	}
	return s
}

func (p *Plan) needsTotals() bool { return slices.Contains(p.Metrics, MetricPercentage) }

// Build turns a store's answer into result rows.
func (p *Plan) Build(a Answer) ([]*queryv1.Row, int64) {
	rows := p.present(a.Rows, p.Range)
	out := make([]*queryv1.Row, len(rows))
	for i, r := range rows {
		out[i] = &queryv1.Row{Dimensions: r.Dims, Metrics: p.values(r, a.Totals.Visitors)}
	}
	if p.Comparison != nil {
		p.compare(out, rows, a)
	}
	total := a.Totals.Rows
	switch {
	case p.fillsTimeLabels():
		total = int64(len(bucketLabels(p.Dims[0].def.unit, p.Range)))
	case p.TotalRows && !p.pagesInSQL():
		// Every row came back: no dimension (one row), nothing to count.
		total = int64(len(a.Rows))
	}
	return out, total
}

func (p *Plan) values(r RawRow, totalVisitors int64) []float64 {
	vals := make([]float64, len(p.Metrics))
	for i, m := range p.Metrics {
		vals[i] = value(m, r, totalVisitors)
	}
	return vals
}

// present fills empty time buckets and pages in Go when the plan lists every
// bucket; otherwise the store already sorted and paged.
func (p *Plan) present(rows []RawRow, r Range) []RawRow {
	if !p.fillsTimeLabels() {
		return rows
	}
	return p.page(p.fill(rows, r))
}

func (p *Plan) fill(rows []RawRow, r Range) []RawRow {
	byLabel := map[string]RawRow{}
	for _, row := range rows {
		byLabel[row.Dims[0]] = row
	}
	labels := bucketLabels(p.Dims[0].def.unit, r)
	out := make([]RawRow, len(labels))
	for i, l := range labels {
		row, ok := byLabel[l]
		if !ok {
			row = RawRow{Dims: []string{l}}
		}
		out[i] = row
	}
	slices.SortStableFunc(out, p.compareRows)
	return out
}

func (p *Plan) page(rows []RawRow) []RawRow {
	if p.Offset >= len(rows) {
		return nil
	}
	rows = rows[p.Offset:]
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
	}
	return rows
}

// compareRows orders rows like the SQL ORDER BY of the plan.
func (p *Plan) compareRows(a, b RawRow) int {
	for _, o := range p.Order {
		c := 0
		if o.Metric != "" {
			av, bv := sortValue(o.Metric, a), sortValue(o.Metric, b)
			c = cmpFloat(av, bv)
		} else {
			c = strings.Compare(a.Dims[o.DimIndex], b.Dims[o.DimIndex])
		}
		if o.Descending {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare adds each row's comparison metrics and change. Rows match on
// their dimensions; a time bucket matches the bucket at the same position
// of the comparison range (day 3 with day 3).
func (p *Plan) compare(out []*queryv1.Row, rows []RawRow, a Answer) {
	cr := *p.Comparison
	td := p.timeDim()
	var position map[string]int
	if td >= 0 {
		position = map[string]int{}
		for i, l := range bucketLabels(p.Dims[td].def.unit, cr) {
			position[l] = i
		}
	}
	key := func(dims []string, labels map[string]int) string {
		parts := slices.Clone(dims)
		if td >= 0 {
			parts[td] = fmt.Sprint(labels[dims[td]])
		}
		return strings.Join(parts, "\x00")
	}
	then := map[string]RawRow{}
	for _, r := range a.CompRows {
		then[key(r.Dims, position)] = r
	}
	var nowPos map[string]int
	if td >= 0 {
		nowPos = map[string]int{}
		for i, l := range bucketLabels(p.Dims[td].def.unit, p.Range) {
			nowPos[l] = i
		}
	}
	for i, r := range rows {
		prev, ok := then[key(r.Dims, nowPos)]
		if !ok {
			prev = RawRow{Dims: r.Dims}
		}
		out[i].ComparisonMetrics = p.values(prev, a.CompTotals.Visitors)
		out[i].Change = make([]float64, len(p.Metrics))
		for j, m := range p.Metrics {
			out[i].Change[j] = change(out[i].Metrics[j], out[i].ComparisonMetrics[j], metrics[m].changeInPoints)
		}
	}
}

// change is the percent change from then to now, rounded to one decimal:
// 0 when both are 0, 100 when only then is 0; in points for rates.
func change(now, then float64, points bool) float64 {
	switch {
	case points:
		return round1(now - then)
	case then == 0 && now == 0:
		return 0
	case then == 0:
		return 100
	}
	return round1((now - then) / then * 100)
}

// MaxDifferences bounds Parity.differences.
const MaxDifferences = 20

// Compare reports whether two stores' results are identical, and where not.
func Compare(metricNames []string, a, b *queryv1.StoreResult) *queryv1.Parity {
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) < MaxDifferences {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	an, bn := storeLabel(a.GetStore()), storeLabel(b.GetStore())
	if a.GetTotalRows() != b.GetTotalRows() {
		add("total_rows: %s %d, %s %d", an, a.GetTotalRows(), bn, b.GetTotalRows())
	}
	if len(a.GetRows()) != len(b.GetRows()) {
		add("rows: %s %d, %s %d", an, len(a.GetRows()), bn, len(b.GetRows()))
	}
	for i := range min(len(a.GetRows()), len(b.GetRows())) {
		ra, rb := a.GetRows()[i], b.GetRows()[i]
		if !slices.Equal(ra.GetDimensions(), rb.GetDimensions()) {
			add("row %d dimensions: %s %q, %s %q", i, an, ra.GetDimensions(), bn, rb.GetDimensions())
			continue
		}
		for j, m := range metricNames {
			for _, part := range []struct {
				name   string
				va, vb []float64
			}{{"", ra.GetMetrics(), rb.GetMetrics()}, {" comparison", ra.GetComparisonMetrics(), rb.GetComparisonMetrics()}, {" change", ra.GetChange(), rb.GetChange()}} {
				if j < len(part.va) && j < len(part.vb) && part.va[j] != part.vb[j] {
					add("row %d%s metric %s: %s %v, %s %v", i, part.name, m, an, part.va[j], bn, part.vb[j])
				}
			}
		}
	}
	return &queryv1.Parity{Match: len(diffs) == 0, Differences: diffs}
}

func storeLabel(s queryv1.Store) string {
	if s == queryv1.Store_STORE_CLICKHOUSE {
		return "clickhouse"
	}
	return "postgres"
}
