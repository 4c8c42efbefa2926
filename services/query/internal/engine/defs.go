package engine

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// This file is the one definition of every metric, dimension and filterable
// column. Both SQL dialects are generated from it (sql.go, dialect.go), and
// docs/metrics.md describes it.

// VisitGapMicros is the longest pause between two events of one visit; a longer
// pause starts a new visit.
const VisitGapMicros = int64(30 * 60 * 1_000_000)

// PageView is the event name that counts as a page view.
const PageView = "page_view"

// nonInteractiveEvents are event names that record something about a page the
// visitor is already on rather than an action: they do not count in
// `events`, and they do not stop a one-page-view visit from being a bounce.
// They still belong to their visit (they extend its time span and duration:
// `engagement` carries the visitor's time on the page, sent when the page is
// hidden) and carry the page's path, so entry and exit pages are unchanged.
// The names are constants, written into the SQL text as literals.
var nonInteractiveEvents = []string{"engagement"}

// IsInteractive says whether an event name counts as an interaction (the Go
// side of interactiveCond, for tests and docs).
func IsInteractive(name string) bool { return !slices.Contains(nonInteractiveEvents, name) }

// interactiveCond is the SQL condition, the same text in both dialects, that
// an event (its column "name") is an interaction.
func interactiveCond() string {
	quoted := make([]string, len(nonInteractiveEvents))
	for i, n := range nonInteractiveEvents {
		quoted[i] = "'" + n + "'"
	}
	return colName.alias + " NOT IN (" + strings.Join(quoted, ", ") + ")"
}

// Metric names.
const (
	MetricVisitors      = "visitors"
	MetricVisits        = "visits"
	MetricPageviews     = "pageviews"
	MetricEvents        = "events"
	MetricViewsPerVisit = "views_per_visit"
	MetricBounceRate    = "bounce_rate"
	MetricVisitDuration = "visit_duration"
	MetricPercentage    = "percentage"
)

// metricDef says how a metric is computed from the exact integer aggregates
// every store query returns (aggregate, below). Ratios are divided in Go, so
// both stores round identically.
type metricDef struct {
	// numerator and denominator are aggregates; denominator -1 means the
	// metric is the numerator itself.
	numerator, denominator aggregate
	// scale multiplies the ratio (100 for percentages, 1e-6 for µs -> s).
	scale float64
	// visitLevel metrics describe whole visits; they cannot be grouped by an
	// event:* dimension (a visit has many pages, names, statuses).
	visitLevel bool
	// changeInPoints: the comparison change is a difference, not a percentage.
	changeInPoints bool
}

var metrics = map[string]metricDef{
	MetricVisitors:      {numerator: aggVisitors, denominator: -1},
	MetricVisits:        {numerator: aggVisits, denominator: -1},
	MetricPageviews:     {numerator: aggPageviews, denominator: -1},
	MetricEvents:        {numerator: aggEvents, denominator: -1},
	MetricViewsPerVisit: {numerator: aggVisitPageviews, denominator: aggVisits, scale: 1, visitLevel: true},
	MetricBounceRate:    {numerator: aggBounces, denominator: aggVisits, scale: 100, visitLevel: true, changeInPoints: true},
	MetricVisitDuration: {numerator: aggDurationMicros, denominator: aggVisits, scale: 1e-6, visitLevel: true},
	// percentage: the row's visitors over all visitors of the query (same
	// filters, no dimensions); the denominator comes from a second statement.
	MetricPercentage: {numerator: aggVisitors, denominator: -1, scale: 100},
}

// aggregate is one exact integer column of a store's answer, per result row.
type aggregate int

const (
	aggVisitors       aggregate = iota // distinct visitor_id
	aggVisits                          // distinct visits with a matching event
	aggPageviews                       // matching page_view events
	aggEvents                          // matching events
	aggBounces                         // of those visits, the bounced ones
	aggDurationMicros                  // of those visits, the summed durations (µs)
	aggVisitPageviews                  // of those visits, their summed page views
	numAggregates
)

// column is an event column as the queries see it: an alias and the
// expression that reads it from each store's events table.
type column struct {
	alias      string
	postgres   string
	clickhouse string
}

func same(name string) column { return column{alias: name, postgres: name, clickhouse: name} }

// Columns every query reads: identity, order and visit rule.
var (
	colVisitor = same("visitor_id")
	// The tie-breaker of events in the same microsecond. PostgreSQL orders
	// uuid bytewise; ClickHouse orders UUIDs by its two 64-bit halves, so
	// it compares the canonical bytes instead (UUIDStringToNum of the text:
	// a FixedString(16) compared bytewise), which sort like PostgreSQL's.
	// 16 bytes per event in the per-visitor arrays instead of the text's 36.
	colEventID = column{alias: "eid", postgres: "event_id", clickhouse: "UUIDStringToNum(toString(event_id))"}
	// Event time in whole microseconds since the epoch: PostgreSQL's
	// timestamptz precision; ClickHouse keeps seconds plus nanoseconds and
	// truncates to the same microsecond. In PostgreSQL the float8 epoch is
	// twice as fast as extract()'s numeric and still exact after round():
	// up to 2100 its error stays far below half a microsecond (the suite's
	// sub-microsecond events and the Go reference check it).
	colMicros = column{alias: "t_us",
		postgres:   "round(date_part('epoch', occurred_at) * 1000000)::bigint",
		clickhouse: "toInt64(toUInt32(occurred_at)) * 1000000 + intDiv(toInt64(occurred_at_ns), 1000)"}
	colName = same("name")
	colPath = same("path")
)

// Columns dimensions and filters may read (besides properties and time).
var (
	colReferrer     = external("referrer")
	colReferrerHost = external("referrer_host")
	colHTTPMethod   = same("http_method")
	colHTTPStatus   = column{alias: "http_status", postgres: "http_status::text", clickhouse: "toString(http_status)"}
	colBrowser      = same("browser")
	colBrowserVer   = same("browser_version")
	colOS           = same("os")
	colOSVer        = same("os_version")
	colDevice       = column{alias: "device", postgres: "device_class", clickhouse: "toString(device_class)"}
	colLocale       = same("locale")
)

func utm(part string) column { return same("utm_" + part) }

// pageHost is the host of the event's page URL, derived from the url column
// by the same steps in both stores: the authority between "scheme://" and the
// first "/", "?" or "#"; without user info (up to the first "@") and port
// (a trailing ":digits"); ASCII letters lower-cased; without a leading
// "www." (the collector's rule for referrer_host). A url without "scheme://"
// has an empty host. PostgreSQL lower() under COLLATE "C" changes ASCII only,
// like ClickHouse's lower(); substring() is NULL where extract() is empty.
var pageHost = column{alias: "page_host",
	postgres: `regexp_replace(lower(regexp_replace(regexp_replace(coalesce(substring(url from '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)'), ''),` +
		` '^[^@]*@', ''), ':[0-9]*$', '') COLLATE "C"), '^www[.]', '')`,
	clickhouse: `replaceRegexpOne(lower(replaceRegexpOne(replaceRegexpOne(extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)'),` +
		` '^[^@]*@', ''), ':[0-9]*$', '')), '^www[.]', '')`,
}

// external reads a referrer column, empty for a self-referral: a referrer whose
// host is the page's own host (internal navigation, a reload, the local demo
// on 127.0.0.1) is no source, so the visit counts as direct / none.
func external(name string) column {
	self := func(host string) string {
		return "CASE WHEN referrer_host <> '' AND referrer_host = " + host + " THEN '' ELSE " + name + " END"
	}
	// A new alias: ClickHouse would read "CASE ... referrer END AS referrer"
	// as a cyclic alias.
	return column{alias: "ext_" + name, postgres: self(pageHost.postgres), clickhouse: self(pageHost.clickhouse)}
}

// dimKind says where a dimension's value comes from.
type dimKind int

const (
	// kindEvent: the event's own column.
	kindEvent dimKind = iota
	// kindVisit: the column of the visit's first event (last for exit page).
	kindVisit
	// kindTime: the event's time bucket in the request's time zone.
	kindTime
)

// timeUnit is a time bucket size.
type timeUnit string

const (
	unitHour  timeUnit = "hour"
	unitDay   timeUnit = "day"
	unitWeek  timeUnit = "week"
	unitMonth timeUnit = "month"
)

type dimensionDef struct {
	kind dimKind
	col  column
	// fromLast takes the visit's last event instead of its first.
	fromLast bool
	unit     timeUnit
}

// PropsPrefix starts an event property dimension: event:props:<key>.
const PropsPrefix = "event:props:"

var dimensions = map[string]dimensionDef{
	"event:name":            {kind: kindEvent, col: colName},
	"event:page":            {kind: kindEvent, col: colPath},
	"event:http_method":     {kind: kindEvent, col: colHTTPMethod},
	"event:http_status":     {kind: kindEvent, col: colHTTPStatus},
	"visit:entry_page":      {kind: kindVisit, col: colPath},
	"visit:exit_page":       {kind: kindVisit, col: colPath, fromLast: true},
	"visit:referrer":        {kind: kindVisit, col: colReferrer},
	"visit:source":          {kind: kindVisit, col: colReferrerHost},
	"visit:utm_source":      {kind: kindVisit, col: utm("source")},
	"visit:utm_medium":      {kind: kindVisit, col: utm("medium")},
	"visit:utm_campaign":    {kind: kindVisit, col: utm("campaign")},
	"visit:utm_term":        {kind: kindVisit, col: utm("term")},
	"visit:utm_content":     {kind: kindVisit, col: utm("content")},
	"visit:browser":         {kind: kindVisit, col: colBrowser},
	"visit:browser_version": {kind: kindVisit, col: colBrowserVer},
	"visit:os":              {kind: kindVisit, col: colOS},
	"visit:os_version":      {kind: kindVisit, col: colOSVer},
	"visit:device":          {kind: kindVisit, col: colDevice},
	"visit:locale":          {kind: kindVisit, col: colLocale},
	"time:hour":             {kind: kindTime, unit: unitHour},
	"time:day":              {kind: kindTime, unit: unitDay},
	"time:week":             {kind: kindTime, unit: unitWeek},
	"time:month":            {kind: kindTime, unit: unitMonth},
}

// MaxPropKeyLength bounds event:props:<key> keys (the collector's default
// property key limit).
const MaxPropKeyLength = 64

// lookupDimension resolves a dimension name, including event:props:<key>.
// The property key travels as a bound parameter, never as SQL text.
func lookupDimension(name string) (dimensionDef, string, bool) {
	if key, ok := strings.CutPrefix(name, PropsPrefix); ok {
		if key == "" || len(key) > MaxPropKeyLength || strings.ContainsRune(key, 0) || !utf8.ValidString(key) {
			return dimensionDef{}, "", false
		}
		return dimensionDef{kind: kindEvent}, key, true
	}
	d, ok := dimensions[name]
	return d, "", ok
}

// MetricNames and DimensionNames list the vocabulary (for tests and docs).
func MetricNames() []string {
	return []string{MetricVisitors, MetricVisits, MetricPageviews, MetricEvents,
		MetricViewsPerVisit, MetricBounceRate, MetricVisitDuration, MetricPercentage}
}

// DimensionNames lists every fixed dimension (event:props:<key> aside).
func DimensionNames() []string {
	return []string{"event:name", "event:page", "event:http_method", "event:http_status",
		"visit:entry_page", "visit:exit_page", "visit:referrer", "visit:source",
		"visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_term", "visit:utm_content",
		"visit:browser", "visit:browser_version", "visit:os", "visit:os_version", "visit:device", "visit:locale",
		"time:hour", "time:day", "time:week", "time:month"}
}
