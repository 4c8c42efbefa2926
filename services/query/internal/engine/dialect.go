package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Dialect is what differs between the two stores' SQL. Everything else
// (filters, grouping, metrics, ordering, paging) is the same text.
type Dialect interface {
	// Name is "postgres" or "clickhouse".
	Name() string
	// expr reads a column from the events table.
	expr(c column) string
	// eventsTable is the qualified events table.
	eventsTable() string
	// timeArg is a range bound as a bound argument and the SQL comparing
	// occurred_at with it.
	timeArg(t time.Time) any
	timeParam(placeholder string) string
	// propValue reads property key (a placeholder) of the event, '' if absent.
	propValue(keyPlaceholder string) string
	// timeBucket prints occurred_at's bucket in the zone (a placeholder).
	timeBucket(u timeUnit, tzPlaceholder string) string
	// notBot keeps human traffic only.
	notBot() string
	// dedupe is appended to the events scan: ClickHouse may hold a
	// redelivered event twice until a merge, PostgreSQL never does.
	dedupe() string
	// sessionize wraps the scan (columns cols, among them visitor, event id
	// and micros) into one row per event with visit_no and the visit
	// columns: v_<alias> for each attribute, v_duration_us, v_pageviews,
	// v_events (the visit's interactive events, see nonInteractiveEvents).
	// With wholeVisits the query reads only visitor_id, visit_no and the
	// visit columns, and the rows may be one per visit instead.
	sessionize(scan string, cols []string, attrs []visitAttr, wholeVisits bool) string
	countDistinct(expr string) string
	toInt64(expr string) string
	contains(expr, placeholder string) string
	// sortText makes text sort bytewise in both stores.
	sortText(expr string) string
	// ratio divides two integers as float64, identically in both stores.
	ratio(num, den string) string
	// visitorTotal makes the grouping of dims also count the distinct
	// visitors of all groups: the extra select columns and the GROUP BY.
	visitorTotal(dims []string) (extra, groupBy string)
	// withTotals returns the groups of grouped (its columns cols, and the
	// visitorTotal columns with visitors) once each, with the columns
	// total_rows (with rowCount: the number of groups) and total_visitors
	// (with visitors), counted in the same statement.
	withTotals(grouped string, cols []string, rowCount, visitors bool) string
}

// visitAttr is one visit column: the value of col on the visit's first
// (or last) event.
type visitAttr struct {
	alias    string
	col      string
	fromLast bool
}

// Postgres is the PostgreSQL 15 dialect.
type Postgres struct{ Schema string }

// ClickHouse is the ClickHouse dialect: 18.16 and current releases.
type ClickHouse struct{ Database string }

func (Postgres) Name() string                    { return "postgres" }
func (Postgres) expr(c column) string            { return c.postgres }
func (d Postgres) eventsTable() string           { return d.Schema + ".events" }
func (Postgres) timeArg(t time.Time) any         { return t.UTC() }
func (Postgres) timeParam(p string) string       { return p + "::timestamptz" }
func (Postgres) propValue(key string) string     { return "coalesce(properties ->> " + key + "::text, '')" }
func (Postgres) notBot() string                  { return "NOT is_bot" }
func (ClickHouse) notBot() string                { return "is_bot = 0" }
func (Postgres) dedupe() string                  { return "" }
func (Postgres) countDistinct(e string) string   { return "count(DISTINCT " + e + ")" }
func (Postgres) toInt64(e string) string         { return "(" + e + ")::bigint" }
func (Postgres) contains(e, p string) string     { return "strpos(" + e + ", " + p + "::text) > 0" }
func (Postgres) sortText(e string) string        { return e + ` COLLATE "C"` }
func (Postgres) ratio(num, den string) string    { return "(" + num + ")::float8 / (" + den + ")::float8" }
func (ClickHouse) Name() string                  { return "clickhouse" }
func (ClickHouse) expr(c column) string          { return c.clickhouse }
func (d ClickHouse) eventsTable() string         { return d.Database + ".events" }
func (ClickHouse) timeArg(t time.Time) any       { return t.Unix() }
func (ClickHouse) timeParam(p string) string     { return "toDateTime(" + p + ")" }
func (ClickHouse) dedupe() string                { return " LIMIT 1 BY event_id" }
func (ClickHouse) countDistinct(e string) string { return "uniqExact(" + e + ")" }
func (ClickHouse) toInt64(e string) string       { return "toInt64(" + e + ")" }
func (ClickHouse) contains(e, p string) string   { return "position(" + e + ", " + p + ") > 0" }
func (ClickHouse) sortText(e string) string      { return e }
func (ClickHouse) ratio(num, den string) string {
	return "toFloat64(" + num + ") / toFloat64(" + den + ")"
}

// visitorTotal in PostgreSQL: a grouping set without dimensions next to
// the dimensions' one, in the same pass; GROUPING() is 0 on the
// dimensions' rows and not 0 on the total's.
func (Postgres) visitorTotal(dims []string) (string, string) {
	return ", GROUPING(" + strings.Join(dims, ", ") + ") AS is_total", "GROUPING SETS ((" + strings.Join(dims, ", ") + "), ())"
}

// withTotals in PostgreSQL: windows over all rows, computed before the
// ORDER BY and LIMIT around them; the grouping set's total row lends its
// visitors to the others and leaves.
func (Postgres) withTotals(grouped string, cols []string, rowCount, visitors bool) string {
	if !visitors {
		return "SELECT *, count(*) OVER () AS total_rows FROM (" + grouped + ") w"
	}
	var extra []string
	if rowCount {
		extra = append(extra, "sum(CASE WHEN is_total = 0 THEN 1 ELSE 0 END) OVER () AS total_rows")
	}
	extra = append(extra, "max(CASE WHEN is_total <> 0 THEN "+aggNames[aggVisitors]+" END) OVER () AS total_visitors")
	return "SELECT " + strings.Join(cols, ", ") + ", " + strings.Join(colNames(extra), ", ") + " FROM (SELECT *, " +
		strings.Join(extra, ", ") + " FROM (" + grouped + ") w) t WHERE is_total = 0"
}

// colNames returns the aliases of "expr AS alias" select items.
func colNames(items []string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it[strings.LastIndex(it, " AS ")+4:]
	}
	return out
}

// visitorTotal in ClickHouse 18.16 (no grouping sets, and WITH TOTALS
// does not reach an outer query): each group keeps its set of visitors as
// an aggregate state, and withTotals merges them.
func (ClickHouse) visitorTotal(dims []string) (string, string) {
	return ", uniqExactState(visitor_id) AS visitors_state", strings.Join(dims, ", ")
}

// withTotals in ClickHouse 18.16, which has no window functions: the
// groups (a panel's groups, few) collected into one array next to their
// count and merged visitors, and ARRAY JOIN turns them back into rows.
// Without groups the array is empty and no row comes back.
func (ClickHouse) withTotals(grouped string, cols []string, rowCount, visitors bool) string {
	unpack := make([]string, len(cols))
	for i, c := range cols {
		unpack[i] = fmt.Sprintf("tupleElement(grp, %d) AS %s", i+1, c)
	}
	var names, totals []string
	if rowCount {
		names, totals = append(names, "total_rows"), append(totals, "toInt64(count()) AS total_rows")
	}
	if visitors {
		names, totals = append(names, "total_visitors"), append(totals, "toInt64(uniqExactMerge(visitors_state)) AS total_visitors")
	}
	return "SELECT " + strings.Join(append(unpack, names...), ", ") + " FROM (SELECT groupArray((" + strings.Join(cols, ", ") +
		")) AS grps, " + strings.Join(totals, ", ") + " FROM (" + grouped + ")) ARRAY JOIN grps AS grp"
}

// Properties are two parallel arrays in ClickHouse; indexOf is 0 for a
// missing key and element 0 of an array is the type's default, ”.
func (ClickHouse) propValue(key string) string {
	return "properties_values[indexOf(properties_keys, " + key + ")]"
}

func (Postgres) timeBucket(u timeUnit, tz string) string {
	local := "(occurred_at AT TIME ZONE " + tz + "::text)"
	switch u {
	case unitHour:
		return "to_char(" + local + ", 'YYYY-MM-DD HH24:00')"
	case unitWeek:
		return "to_char(date_trunc('week', " + local + "), 'YYYY-MM-DD')"
	case unitMonth:
		return "to_char(" + local + ", 'YYYY-MM')"
	default:
		return "to_char(" + local + ", 'YYYY-MM-DD')"
	}
}

func (ClickHouse) timeBucket(u timeUnit, tz string) string {
	switch u {
	case unitHour:
		return "formatDateTime(occurred_at, '%Y-%m-%d %H:00', " + tz + ")"
	case unitWeek:
		return "toString(toMonday(toDate(occurred_at, " + tz + ")))"
	case unitMonth:
		return "formatDateTime(occurred_at, '%Y-%m', " + tz + ")"
	default:
		return "toString(toDate(occurred_at, " + tz + "))"
	}
}

// sessionize in PostgreSQL: window functions. lag() over the visitor's
// events in (t_us, eid) order marks a new visit after a gap over
// VisitGapMicros; a running sum numbers the visits; a second window over
// each visit reads its first and last event.
// The rows are one per event in either mode: the GROUP BY around them
// reads the visit columns with max().
func (Postgres) sessionize(scan string, cols []string, attrs []visitAttr, _ bool) string {
	order := "ORDER BY " + colMicros.alias + ", " + colEventID.alias
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT s.*")
	for _, a := range attrs {
		fn := "first_value"
		if a.fromLast {
			fn = "last_value"
		}
		fmt.Fprintf(&b, ", %s(%s) OVER v AS v_%s", fn, a.col, a.alias)
	}
	fmt.Fprintf(&b, ", max(t_us) OVER v - min(t_us) OVER v AS v_duration_us"+
		", sum(CASE WHEN name = '%s' THEN 1 ELSE 0 END) OVER v AS v_pageviews"+
		", sum(CASE WHEN %s THEN 1 ELSE 0 END) OVER v AS v_events", PageView, interactiveCond())
	fmt.Fprintf(&b, " FROM (SELECT n.*, sum(new_visit) OVER (PARTITION BY visitor_id %s ROWS UNBOUNDED PRECEDING) AS visit_no"+
		" FROM (SELECT e.*, CASE WHEN t_us - lag(t_us) OVER (PARTITION BY visitor_id %s) <= %d THEN 0 ELSE 1 END AS new_visit"+
		" FROM (%s) e) n) s", order, order, VisitGapMicros, scan)
	fmt.Fprintf(&b, " WINDOW v AS (PARTITION BY visitor_id, visit_no %s ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)", order)
	return b.String()
}

// sessionize in ClickHouse 18.16, which has no window functions: per
// visitor, the events sorted by (t_us, eid) in one array; arrayDifference of
// their times over the gap, summed by arrayCumSum, numbers the visits;
// ARRAY JOIN turns the array back into rows with their position (seq). Then
// per visit, argMin/argMax by seq read its first and last event, and a
// second ARRAY JOIN returns one row per event with the visit's columns.
// With wholeVisits the visit rows are the answer: the second array (every
// event once more, the largest part of the memory) is not built, and the
// first carries only the columns a visit needs.
func (ClickHouse) sessionize(scan string, cols []string, attrs []visitAttr, wholeVisits bool) string {
	if wholeVisits {
		cols = []string{colName.alias}
		for _, a := range attrs {
			cols = append(cols, a.col)
		}
	}
	// Tuple order: t_us and eid first, so arraySort orders by them.
	ordered := []string{colMicros.alias, colEventID.alias}
	for _, c := range cols {
		if !slices.Contains(ordered, c) && c != colVisitor.alias {
			ordered = append(ordered, c)
		}
	}
	var unpack []string
	for i, c := range ordered {
		unpack = append(unpack, fmt.Sprintf("tupleElement(e, %d) AS %s", i+1, c))
	}
	perVisitor := fmt.Sprintf("SELECT visitor_id, visit_no, seq, %s FROM ("+
		"SELECT visitor_id, arraySort(x -> (tupleElement(x, 1), tupleElement(x, 2)), groupArray((%s))) AS es,"+
		" arrayCumSum(arrayMap(d -> d > %d, arrayDifference(arrayMap(x -> tupleElement(x, 1), es)))) AS visit_nos"+
		" FROM (%s) GROUP BY visitor_id"+
		") ARRAY JOIN es AS e, visit_nos AS visit_no, arrayEnumerate(es) AS seq",
		strings.Join(unpack, ", "), strings.Join(ordered, ", "), VisitGapMicros, scan)

	var b strings.Builder
	b.WriteString("SELECT visitor_id, visit_no")
	for _, a := range attrs {
		fn := "argMin"
		if a.fromLast {
			fn = "argMax"
		}
		fmt.Fprintf(&b, ", %s(%s, seq) AS v_%s", fn, a.col, a.alias)
	}
	fmt.Fprintf(&b, ", max(t_us) - min(t_us) AS v_duration_us"+
		", toInt64(sum(name = '%s')) AS v_pageviews, toInt64(sum(%s)) AS v_events", PageView, interactiveCond())
	if wholeVisits {
		fmt.Fprintf(&b, " FROM (%s) GROUP BY visitor_id, visit_no", perVisitor)
		return b.String()
	}
	perVisit := b.String()
	b.Reset()
	b.WriteString("SELECT visitor_id, visit_no")
	for _, a := range attrs {
		b.WriteString(", v_" + a.alias)
	}
	fmt.Fprintf(&b, ", v_duration_us, v_pageviews, v_events, %s FROM (%s, groupArray((%s)) AS es FROM (%s) GROUP BY visitor_id, visit_no) ARRAY JOIN es AS e",
		strings.Join(unpack, ", "), perVisit, strings.Join(ordered, ", "), perVisitor)
	return b.String()
}
