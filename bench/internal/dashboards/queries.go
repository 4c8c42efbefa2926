package dashboards

import (
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// The dashboard's query set, as services/query/internal/web/assets builds it
// (cards.js, chart.js, panels.js): the top-line cards with their comparison,
// the chart's series and its previous-period series, and every tab of every
// breakdown panel. The page loads one tab per panel; the benchmark times
// every tab, and the whole-dashboard time uses the default tabs.

// PropertyKey is the key the properties tab breaks custom events down by.
const PropertyKey = "plan"

// Query is one named dashboard query.
type Query struct {
	// ID names the query in the report (`cards`, `panel:entry_page`, ...).
	ID string
	// DefaultTab is true for the queries the page runs on first load.
	DefaultTab bool
	// AfterCards is true for the chart's previous-period series, which the
	// page asks for after the cards' answer (it needs their comparison
	// range).
	AfterCards bool
	Req        *queryv1.QueryRequest
}

// Variant is one dashboard view: a range and an optional page filter.
type Variant struct {
	ID       string
	From, To time.Time
	// Page filters every query on event:page when not empty.
	Page string
}

// Variants are the four views the issue asks for: 7 and 30 days ending on
// the data's last day, without and with a page filter. The filtered page is
// the third most viewed (rank 2), so the filter keeps a realistic share.
func Variants(d DataConfig) []Variant {
	last := d.LastDay
	page := pageName(2)
	return []Variant{
		{ID: "7d", From: last.AddDate(0, 0, -6), To: last},
		{ID: "30d", From: last.AddDate(0, 0, -29), To: last},
		{ID: "7d+page", From: last.AddDate(0, 0, -6), To: last, Page: page},
		{ID: "30d+page", From: last.AddDate(0, 0, -29), To: last, Page: page},
	}
}

// tab is one breakdown tab of panels.js.
type tab struct {
	id, dimension string
	metrics       []string
	defaultTab    bool
	custom        bool
}

// tabs mirrors PANELS in panels.js (the first tab of each panel is its
// default).
var tabs = []tab{
	{id: "page", dimension: "event:page", defaultTab: true},
	{id: "entry_page", dimension: "visit:entry_page"},
	{id: "exit_page", dimension: "visit:exit_page"},
	{id: "source", dimension: "visit:source", defaultTab: true},
	{id: "referrer", dimension: "visit:referrer"},
	{id: "utm_source", dimension: "visit:utm_source", defaultTab: true},
	{id: "utm_medium", dimension: "visit:utm_medium"},
	{id: "utm_campaign", dimension: "visit:utm_campaign"},
	{id: "browser", dimension: "visit:browser", defaultTab: true},
	{id: "os", dimension: "visit:os"},
	{id: "device", dimension: "visit:device"},
	{id: "http_method", dimension: "event:http_method", defaultTab: true},
	{id: "http_status", dimension: "event:http_status"},
	{id: "custom_events", dimension: "event:name", metrics: []string{"visitors", "events", "percentage"}, defaultTab: true, custom: true},
	{id: "props", dimension: "event:props:" + PropertyKey, metrics: []string{"visitors", "events", "percentage"}},
}

// Topline is cards.js's TOPLINE.
var Topline = []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"}

const day = "2006-01-02"

// Queries returns the dashboard's queries for one view, for site.
func Queries(site string, v Variant) []Query {
	base := func() *queryv1.QueryRequest {
		r := &queryv1.QueryRequest{
			SiteId:    site,
			DateRange: &queryv1.DateRange{From: v.From.Format(day), To: v.To.Format(day)},
			TimeZone:  "UTC",
		}
		if v.Page != "" {
			r.Filters = []*queryv1.Filter{{Dimension: "event:page", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS, Values: []string{v.Page}}}
		}
		return r
	}
	cards := base()
	cards.Metrics = Topline
	cards.Include = &queryv1.Include{Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}
	series := func(from, to time.Time) *queryv1.QueryRequest {
		r := base()
		r.DateRange = &queryv1.DateRange{From: from.Format(day), To: to.Format(day)}
		r.Metrics = []string{"visitors", "pageviews"}
		r.Dimensions = []string{"time:day"}
		r.Include = &queryv1.Include{TimeLabels: true}
		r.Limit = 10000
		return r
	}
	days := int(v.To.Sub(v.From).Hours()/24) + 1
	prevTo := v.From.AddDate(0, 0, -1)
	qs := []Query{
		{ID: "cards", DefaultTab: true, Req: cards},
		{ID: "chart", DefaultTab: true, Req: series(v.From, v.To)},
		{ID: "chart:previous", DefaultTab: true, AfterCards: true, Req: series(prevTo.AddDate(0, 0, -(days-1)), prevTo)},
	}
	for _, t := range tabs {
		r := base()
		r.Metrics = t.metrics
		if r.Metrics == nil {
			r.Metrics = []string{"visitors", "percentage"}
		}
		r.Dimensions = []string{t.dimension}
		r.Limit = 10
		r.Include = &queryv1.Include{TotalRows: true}
		if t.custom {
			r.Filters = append(r.Filters, &queryv1.Filter{Dimension: "event:name", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, Values: []string{"page_view"}})
		}
		qs = append(qs, Query{ID: "panel:" + t.id, DefaultTab: t.defaultTab, Req: r})
	}
	return qs
}
