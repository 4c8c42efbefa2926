package engine

import (
	"fmt"
	"strings"
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// Statement is one SQL text with its bound arguments ($1, $2, ... in both
// stores: pgx binds them on the server, clickhouse-go quotes them on the
// client). Its rows are NumDims text columns followed by numAggregates
// int64 columns (or the columns the statement's builder documents), then
// the int64 columns of RowTotals it carries, the same in every row: with
// RowCount the number of rows before paging, with TotalVisitors the
// distinct visitors of all rows (the denominator of percentage).
type Statement struct {
	SQL           string
	Args          []any
	NumDims       int
	RowCount      bool
	TotalVisitors bool
}

// RowTotals are what a Rows statement carries after the aggregates.
type RowTotals struct {
	Rows, Visitors int64
}

// Ints is the number of int64 columns of a Rows statement.
func (s Statement) Ints() int {
	n := NumAggregates
	if s.RowCount {
		n++
	}
	if s.TotalVisitors {
		n++
	}
	return n
}

// Read splits one row's int64 columns into the aggregates and the totals.
func (s Statement) Read(dims []string, ints []int64) (RawRow, RowTotals) {
	r := RawRow{Dims: dims}
	copy(r.Aggs[:], ints)
	var t RowTotals
	rest := ints[NumAggregates:]
	if s.RowCount {
		t.Rows, rest = rest[0], rest[1:]
	}
	if s.TotalVisitors {
		t.Visitors = rest[0]
	}
	return r, t
}

// builder collects bound arguments; nothing from the request ever enters
// the SQL text except through arg().
type builder struct {
	d    Dialect
	args []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

// scope is the part of a query every statement of it shares: the site, the
// range, bots, and the columns its dimensions and filters need.
type scope struct {
	site        string
	start, end  time.Time
	includeBots bool
	tz          string
	dims        []Dim
	filters     []FilterSpec
	// visits: derive visits (a visit metric, dimension or filter needs
	// them); otherwise the visit columns are constants and the query skips
	// the per-visitor sort, with the same visitors, pageviews and events.
	visits bool
	// visitorTotal: the statement also counts the distinct visitors of all
	// its groups (Dialect.visitorTotal).
	visitorTotal bool
	// wholeVisits: every dimension and filter is a visit attribute, so a
	// group of (dimensions, visitor, visit) always holds whole visits and
	// its counts are the visit's own; the store may then return one row
	// per visit instead of one per event (sessionize).
	wholeVisits bool
}

// scan is the events of the site in [start, end), bots left out unless
// asked for, deduplicated, with the columns the rest of the query reads.
func (b *builder) scan(sc scope, extra []string) string {
	cols := []string{
		b.d.expr(colVisitor) + " AS " + colVisitor.alias,
		b.d.expr(colEventID) + " AS " + colEventID.alias,
		b.d.expr(colMicros) + " AS " + colMicros.alias,
		b.d.expr(colName) + " AS " + colName.alias,
		b.d.expr(colPath) + " AS " + colPath.alias,
	}
	cols = append(cols, extra...)
	where := fmt.Sprintf("site_id = %s AND occurred_at >= %s AND occurred_at < %s",
		b.arg(sc.site), b.d.timeParam(b.arg(b.d.timeArg(sc.start))), b.d.timeParam(b.arg(b.d.timeArg(sc.end))))
	if !sc.includeBots {
		where += " AND " + b.d.notBot()
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s%s", strings.Join(cols, ", "), b.d.eventsTable(), where, b.d.dedupe())
}

// needs collects what the scan must read and which visit columns the
// sessionized rows must carry for the query's dimensions and filters.
type needs struct {
	scanCols  []string // extra scan expressions "expr AS alias"
	aliases   []string // aliases of all scan columns
	attrs     []visitAttr
	seenScan  map[string]bool
	seenAttr  map[string]bool
	propIndex map[string]string
}

func newNeeds() *needs {
	n := &needs{seenScan: map[string]bool{}, seenAttr: map[string]bool{}, propIndex: map[string]string{}}
	for _, c := range []column{colVisitor, colEventID, colMicros, colName, colPath} {
		n.aliases = append(n.aliases, c.alias)
		n.seenScan[c.alias] = true
	}
	return n
}

func (n *needs) scanColumn(alias, expr string) {
	if !n.seenScan[alias] {
		n.seenScan[alias] = true
		n.aliases = append(n.aliases, alias)
		n.scanCols = append(n.scanCols, expr+" AS "+alias)
	}
}

// alias registers what dim needs and returns the column it reads.
func (b *builder) alias(n *needs, sc scope, dim Dim) string {
	switch {
	case dim.propKey != "":
		a, ok := n.propIndex[dim.propKey]
		if !ok {
			a = fmt.Sprintf("prop%d", len(n.propIndex))
			n.propIndex[dim.propKey] = a
			n.scanColumn(a, b.d.propValue(b.arg(dim.propKey)))
		}
		return a
	case dim.def.kind == kindTime:
		a := "bucket_" + string(dim.def.unit)
		if !n.seenScan[a] {
			n.scanColumn(a, b.d.timeBucket(dim.def.unit, b.arg(sc.tz)))
		}
		return a
	case dim.def.kind == kindVisit:
		n.scanColumn(dim.def.col.alias, b.d.expr(dim.def.col))
		a := strings.TrimPrefix(dim.Name, "visit:")
		if !n.seenAttr[a] {
			n.seenAttr[a] = true
			n.attrs = append(n.attrs, visitAttr{alias: a, col: dim.def.col.alias, fromLast: dim.def.fromLast})
		}
		return "v_" + a
	default:
		n.scanColumn(dim.def.col.alias, b.d.expr(dim.def.col))
		return dim.def.col.alias
	}
}

func (b *builder) filter(col string, f FilterSpec) string {
	var parts []string
	for _, v := range f.Values {
		p := b.arg(v)
		switch f.Op {
		case queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS, queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT:
			parts = append(parts, b.d.contains(col, p))
		default:
			parts = append(parts, col+" = "+p)
		}
	}
	anyMatches := "(" + strings.Join(parts, " OR ") + ")"
	switch f.Op {
	case queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT:
		return "NOT " + anyMatches
	default:
		return anyMatches
	}
}

// grouped is the core of every dashboard query: the events sessionized,
// filtered, grouped first per (dimensions, visit), then per dimensions,
// with the exact aggregates in aggregate order.
func (b *builder) grouped(sc scope) (sql string, dimAliases []string) {
	n := newNeeds()
	dimCols := make([]string, len(sc.dims))
	for i, d := range sc.dims {
		dimCols[i] = b.alias(n, sc, d)
	}
	filterCols := make([]string, len(sc.filters))
	for i, f := range sc.filters {
		filterCols[i] = b.alias(n, sc, f.Dim)
	}
	scan := b.scan(sc, n.scanCols)
	var where []string
	for i, f := range sc.filters {
		where = append(where, b.filter(filterCols[i], f))
	}
	sessions := "SELECT *, 0 AS visit_no, 0 AS v_duration_us, 0 AS v_pageviews, 0 AS v_events FROM (" + scan + ") e"
	if sc.visits {
		sessions = b.d.sessionize(scan, n.aliases, n.attrs, sc.wholeVisits)
	}
	// The group's page views and interactive events: of its events, or,
	// when it holds whole visits, the visit's (the same numbers whether the
	// store returned a row per event or per visit).
	pageviews := "sum(CASE WHEN name = '" + PageView + "' THEN 1 ELSE 0 END)"
	events := "sum(CASE WHEN " + interactiveCond() + " THEN 1 ELSE 0 END)"
	if sc.wholeVisits {
		pageviews, events = "max(v_pageviews)", "max(v_events)"
	}

	var inner strings.Builder
	inner.WriteString("SELECT ")
	for i, c := range dimCols {
		fmt.Fprintf(&inner, "%s AS d%d, ", c, i)
		dimAliases = append(dimAliases, fmt.Sprintf("d%d", i))
	}
	fmt.Fprintf(&inner, "visitor_id, visit_no, %s AS pageviews, %s AS events"+
		", max(CASE WHEN v_pageviews = 1 AND v_events = 1 THEN 1 ELSE 0 END) AS bounce"+
		", max(v_duration_us) AS duration_us, max(v_pageviews) AS visit_pageviews"+
		" FROM (%s) s", pageviews, events, sessions)
	if len(where) > 0 {
		inner.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	inner.WriteString(" GROUP BY " + strings.Join(append(append([]string{}, dimAliases...), "visitor_id", "visit_no"), ", "))

	aggs := []string{
		b.d.countDistinct("visitor_id"), // aggVisitors
		"count(*)",                      // aggVisits
		"sum(pageviews)",                // aggPageviews
		"sum(events)",                   // aggEvents
		"sum(bounce)",                   // aggBounces
		"sum(duration_us)",              // aggDurationMicros
		"sum(visit_pageviews)",          // aggVisitPageviews
	}
	for i, a := range aggs {
		aggs[i] = b.d.toInt64("coalesce(" + a + ", 0)")
		aggs[i] += " AS " + aggNames[i]
	}
	groupBy, extra := strings.Join(dimAliases, ", "), ""
	if sc.visitorTotal {
		extra, groupBy = b.d.visitorTotal(dimAliases)
	}
	outer := "SELECT " + strings.Join(append(append([]string{}, dimAliases...), aggs...), ", ") + extra +
		" FROM (" + inner.String() + ") g"
	if len(dimAliases) > 0 {
		outer += " GROUP BY " + groupBy
	}
	return outer, dimAliases
}

var aggNames = [numAggregates]string{"a_visitors", "a_visits", "a_pageviews", "a_events", "a_bounces", "a_duration_us", "a_visit_pageviews"}

func (p *Plan) scope(r Range, dims []Dim, metricNames []string) scope {
	visits := p.needsVisits(dims, metricNames)
	return scope{site: p.SiteID, start: r.Start, end: r.End, includeBots: p.IncludeBots,
		tz: p.TimeZone, dims: dims, filters: p.Filters, visits: visits, wholeVisits: visits && p.onlyVisitAttributes(dims)}
}

// onlyVisitAttributes: no event or time dimension and no event filter.
func (p *Plan) onlyVisitAttributes(dims []Dim) bool {
	for _, d := range dims {
		if d.def.kind != kindVisit {
			return false
		}
	}
	for _, f := range p.Filters {
		if f.Dim.def.kind != kindVisit {
			return false
		}
	}
	return true
}

// needsVisits: a visit metric (visits included), a visit:* dimension or a
// visit:* filter.
func (p *Plan) needsVisits(dims []Dim, metricNames []string) bool {
	for _, m := range metricNames {
		if m == MetricVisits || metrics[m].visitLevel {
			return true
		}
	}
	for _, d := range dims {
		if d.def.kind == kindVisit {
			return true
		}
	}
	for _, f := range p.Filters {
		if f.Dim.def.kind == kindVisit {
			return true
		}
	}
	return false
}

// orderExpr is the SQL sort key of a metric: its exact ratio or count.
func (b *builder) orderExpr(metric string) string {
	def := metrics[metric]
	num := aggNames[def.numerator]
	if def.denominator < 0 {
		return num
	}
	return b.d.ratio(num, aggNames[def.denominator])
}

// Rows is the statement for the result rows of r: ordered, and paged
// unless the time labels are filled in Go (then all rows come back). With
// include.total_rows the range's rows (Statements) also count the rows
// before paging, and with percentage every Rows statement counts its
// distinct visitors of all groups, in the same statement (RowTotals):
// deriving the visits a second time only to count the groups doubled the
// cost of every visit-level panel, and the total was a scan of its own.
func (p *Plan) Rows(d Dialect, r Range) Statement { return p.rows(d, r, false) }

func (p *Plan) rows(d Dialect, r Range, counted bool) Statement {
	b := &builder{d: d}
	sc := p.scope(r, p.Dims, p.Metrics)
	sc.visitorTotal = p.needsTotals()
	grouped, dims := b.grouped(sc)
	if counted || sc.visitorTotal {
		grouped = d.withTotals(grouped, append(append([]string{}, dims...), aggNames[:]...), counted, sc.visitorTotal)
	}
	// Sorted outside the grouping: PostgreSQL cannot use output aliases
	// inside ORDER BY expressions.
	sql := "SELECT * FROM (" + grouped + ") r"
	var keys []string
	for _, o := range p.Order {
		k := ""
		if o.Metric != "" {
			k = b.orderExpr(o.Metric)
		} else {
			k = d.sortText(dims[o.DimIndex])
		}
		if o.Descending {
			k += " DESC"
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		sql += " ORDER BY " + strings.Join(keys, ", ")
	}
	if p.pagesInSQL() {
		sql += fmt.Sprintf(" LIMIT %d OFFSET %d", p.Limit, p.Offset)
	}
	return Statement{SQL: sql, Args: b.args, NumDims: len(p.Dims), RowCount: counted, TotalVisitors: sc.visitorTotal}
}

// pagesInSQL: the store sorts and pages the rows (with dimensions, unless
// every time bucket is listed and paged in Go).
func (p *Plan) pagesInSQL() bool { return len(p.Dims) > 0 && !p.fillsTimeLabels() }

// countsRowsInSQL: include.total_rows needs the store's count of the rows
// before paging; otherwise every row comes back and Build counts them.
func (p *Plan) countsRowsInSQL() bool { return p.TotalRows && p.pagesInSQL() }

// CountRows is the statement counting the result rows before paging: one
// row, one int64 column. Rows carries the same count in each row; CountRows
// runs only when a page past the last row came back empty (RecountRows).
func (p *Plan) CountRows(d Dialect, r Range) Statement {
	b := &builder{d: d}
	sql, _ := b.grouped(p.scope(r, p.Dims, p.Metrics))
	return Statement{SQL: "SELECT " + d.toInt64("count(*)") + " FROM (" + sql + ") c", Args: b.args}
}

// RecountRows says whether the rows before paging must be counted by the
// CountRows statement: the Rows statement's count travels in its rows, so
// a page past the last row (an offset, no row) cannot carry it.
func (p *Plan) RecountRows(pageRows int) bool {
	return p.countsRowsInSQL() && pageRows == 0 && p.Offset > 0
}

// RealtimeWindow is how far back Realtime looks.
const RealtimeWindow = 5 * time.Minute

// RealtimeTopPages is how many pages Realtime lists.
const RealtimeTopPages = 10

// RealtimeStatements are the visitors of the last RealtimeWindow before
// now (one row, one int64 column) and their top pages (rows of path and an
// int64 visitor count).
func RealtimeStatements(d Dialect, site string, includeBots bool, now time.Time) (visitors, pages Statement) {
	end := now.Truncate(time.Second).Add(time.Second)
	sc := scope{site: site, start: end.Add(-RealtimeWindow), end: end, includeBots: includeBots}
	b := &builder{d: d}
	visitors = Statement{SQL: "SELECT " + d.toInt64(d.countDistinct("visitor_id")) + " FROM (" + b.scan(sc, nil) + ") e", Args: b.args}
	b = &builder{d: d}
	pages = Statement{SQL: "SELECT path, " + d.toInt64(d.countDistinct("visitor_id")) + " AS v FROM (" + b.scan(sc, nil) + ") e" +
		fmt.Sprintf(" GROUP BY path ORDER BY v DESC, %s LIMIT %d", d.sortText("path"), RealtimeTopPages), Args: b.args, NumDims: 1}
	return visitors, pages
}
