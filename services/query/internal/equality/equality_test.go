package equality

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
)

// now is the suite's clock: presets resolve against it.
var now = time.Date(2026, 4, 2, 12, 0, 0, 0, time.UTC)

// suiteEvents is the shared data set: the hand-made edge cases plus a
// seeded random set.
var suiteEvents = append(fixedEvents(), generatedEvents(42, 300)...)

// TestSharedSuite loads the data set into both stores once and runs the
// equality suite, the reference check and the injection test on it.
func TestSharedSuite(t *testing.T) {
	s := openStores(t, suiteEvents)
	t.Run("identical", func(t *testing.T) { storesAnswerIdentically(t, s) })
	t.Run("reference", func(t *testing.T) { storesMatchReference(t, s) })
	t.Run("injection", func(t *testing.T) { injection(t, s) })
	t.Run("without-visits", func(t *testing.T) { withoutVisitsSameCounts(t, s) })
	t.Run("realtime", func(t *testing.T) { realtimeSame(t, s) })
	t.Run("total-rows", func(t *testing.T) { totalRowsCountsEveryRow(t, s) })
}

// withoutVisitsSameCounts: a query that needs no visit skips their
// derivation; its visitors, page views and events must equal those of the
// same query with visits derived.
func withoutVisitsSameCounts(t *testing.T, s *stores) {
	for _, dim := range []string{"event:page", "time:day", "event:props:plan"} {
		fast := &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"visitors", "pageviews", "events"}, Dimensions: []string{dim}, Limit: 1000}
		slow := &queryv1.QueryRequest{SiteId: site, DateRange: allMonth, Metrics: []string{"visitors", "pageviews", "events", "visits"}, Dimensions: []string{dim}, Limit: 1000}
		_, fpg, fch, err := s.answer(t, fast, now)
		if err != nil {
			t.Fatal(err)
		}
		_, spg, sch, err := s.answer(t, slow, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, pair := range [][2]*queryv1.StoreResult{{fpg, spg}, {fch, sch}} {
			f, sl := pair[0].GetRows(), pair[1].GetRows()
			if len(f) != len(sl) || len(f) == 0 {
				t.Fatalf("%s store %d: %d rows without visits, %d with", dim, i, len(f), len(sl))
			}
			for j := range f {
				if fmt.Sprint(f[j].GetDimensions(), f[j].GetMetrics()) != fmt.Sprint(sl[j].GetDimensions(), sl[j].GetMetrics()[:3]) {
					t.Errorf("%s store %d row %d: %v %v without visits, %v %v with", dim, i, j,
						f[j].GetDimensions(), f[j].GetMetrics(), sl[j].GetDimensions(), sl[j].GetMetrics())
				}
			}
		}
	}
}

type testCase struct {
	name string
	req  *queryv1.QueryRequest
}

func custom(from, to string) *queryv1.DateRange { return &queryv1.DateRange{From: from, To: to} }

var allMonth = custom("2026-03-01", "2026-04-05")

func filter(dim string, op queryv1.FilterOperator, values ...string) *queryv1.Filter {
	return &queryv1.Filter{Dimension: dim, Operator: op, Values: values}
}

// compatible lists the metrics that may be grouped by dim.
func compatible(dim string) []string {
	var out []string
	for _, m := range engine.MetricNames() {
		visitLevel := m == engine.MetricViewsPerVisit || m == engine.MetricBounceRate || m == engine.MetricVisitDuration
		if visitLevel && strings.HasPrefix(dim, "event:") {
			continue
		}
		out = append(out, m)
	}
	return out
}

var dimensionsUnderTest = append(engine.DimensionNames(), "event:props:plan", "event:props:file", "event:props:missing")

var operators = []queryv1.FilterOperator{
	queryv1.FilterOperator_FILTER_OPERATOR_IS, queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT,
	queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS, queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT,
}

// filterValues are values each filtered dimension is tested with: a hit, a
// near miss, a unicode value and a hostile string.
var filterValues = map[string][]string{
	"event:page":         {"/pricing", "/blog/ünïcödé", "blog"},
	"event:name":         {"signup", "page_view", "engagement"},
	"event:http_status":  {"404", "0"},
	"event:http_method":  {"POST", ""},
	"event:props:plan":   {"pro", "ünï"},
	"visit:entry_page":   {"/", "/docs/日本語"},
	"visit:exit_page":    {"/pricing", "emoji"},
	"visit:source":       {"google.com", "例え.jp", ""},
	"visit:referrer":     {"https://t.co/abc", "ycombinator"},
	"visit:utm_campaign": {"spring", "launch"},
	"visit:browser":      {"Chrome"},
	"visit:device":       {"mobile", "desktop"},
	"visit:os_version":   {"17.2", ""},
	"visit:locale":       {"de-DE", "ja"},
}

// presentValue is a value each dimension has in the data set.
var presentValue = map[string]string{
	"event:name": "signup", "event:page": "/pricing", "event:http_method": "GET", "event:http_status": "200",
	"event:props:plan": "pro", "event:props:file": "x'; DROP TABLE events; --", "event:props:missing": "",
	"visit:entry_page": "/", "visit:exit_page": "/blog/ünïcödé", "visit:referrer": "https://t.co/abc",
	"visit:source": "google.com", "visit:utm_source": "newsletter", "visit:utm_medium": "email",
	"visit:utm_campaign": "spring", "visit:utm_term": "analytics", "visit:utm_content": "hero",
	"visit:browser": "Chrome", "visit:browser_version": "120.0", "visit:os": "Linux", "visit:os_version": "17.2",
	"visit:device": "mobile", "visit:locale": "de-DE",
}

// prefix is the first half (in runes, at least one) of v: a contains value
// that is not the whole value.
func prefix(v string) string {
	r := []rune(v)
	return string(r[:(len(r)+1)/2])
}

func cases() []testCase {
	var out []testCase
	add := func(name string, req *queryv1.QueryRequest) {
		req.SiteId = site
		if req.DateRange == nil {
			req.DateRange = allMonth
		}
		out = append(out, testCase{name: name, req: req})
	}
	// Every metric with every dimension.
	for _, dim := range dimensionsUnderTest {
		for _, m := range compatible(dim) {
			add(fmt.Sprintf("metric=%s/dim=%s", m, dim), &queryv1.QueryRequest{Metrics: []string{m}, Dimensions: []string{dim}, Limit: 1000})
		}
	}
	// Every metric with every dimension under each filter operator on that
	// dimension (is/is_not a value present in the data, contains/contains_not
	// half of it).
	for _, dim := range dimensionsUnderTest {
		v, ok := presentValue[dim]
		if !ok {
			continue // time:* cannot be filtered
		}
		for _, op := range operators {
			value := v
			if op == queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS || op == queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT {
				value = prefix(v)
			}
			add(fmt.Sprintf("all-metrics/dim=%s/%s", dim, op), &queryv1.QueryRequest{Metrics: compatible(dim), Dimensions: []string{dim},
				Filters: []*queryv1.Filter{filter(dim, op, value)}, Limit: 1000})
		}
	}
	// Every metric without a dimension, and all of them at once.
	for _, m := range engine.MetricNames() {
		if m != engine.MetricPercentage {
			add("metric="+m, &queryv1.QueryRequest{Metrics: []string{m}})
		}
	}
	topline := []string{"visitors", "visits", "pageviews", "events", "views_per_visit", "bounce_rate", "visit_duration"}
	// Each filter operator on each filtered dimension, with the top-line
	// metrics and with a breakdown.
	// In a fixed order (not the map's): the chdb check pairs statements by position.
	for _, dim := range slices.Sorted(maps.Keys(filterValues)) {
		values := filterValues[dim]
		for _, op := range operators {
			f := filter(dim, op, values...)
			add(fmt.Sprintf("filter=%s/%s/topline", dim, op), &queryv1.QueryRequest{Metrics: topline, Filters: []*queryv1.Filter{f}})
			add(fmt.Sprintf("filter=%s/%s/pages", dim, op), &queryv1.QueryRequest{
				Metrics: []string{"visitors", "pageviews", "events", "percentage"}, Dimensions: []string{"event:page"}, Filters: []*queryv1.Filter{f}})
		}
	}
	// Time buckets in zones with and without DST, and with a half-hour offset.
	for _, tz := range []string{"", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"} {
		for _, dim := range []string{"time:hour", "time:day", "time:week", "time:month"} {
			dr := allMonth
			if dim == "time:hour" {
				dr = custom("2026-03-28", "2026-03-29")
			}
			add(fmt.Sprintf("tz=%s/%s", tz, dim), &queryv1.QueryRequest{Metrics: topline, Dimensions: []string{dim},
				TimeZone: tz, DateRange: dr, Include: &queryv1.Include{TimeLabels: true}})
		}
		add("tz="+tz+"/midnight-visit", &queryv1.QueryRequest{Metrics: topline, TimeZone: tz, DateRange: custom("2026-03-21", "2026-03-21")})
	}
	// Presets, comparisons, totals, paging, ordering, bots, empty ranges.
	for _, preset := range []string{"today", "yesterday", "7d", "30d", "month", "year"} {
		for _, cmp := range []queryv1.PeriodComparison{queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD, queryv1.PeriodComparison_PERIOD_COMPARISON_YEAR_OVER_YEAR} {
			add(fmt.Sprintf("preset=%s/%s", preset, cmp), &queryv1.QueryRequest{Metrics: topline, DateRange: &queryv1.DateRange{Preset: preset},
				TimeZone: "Europe/Berlin", Include: &queryv1.Include{Comparison: cmp}})
		}
		add("preset="+preset+"/series", &queryv1.QueryRequest{Metrics: []string{"visitors", "pageviews"}, Dimensions: []string{"time:day"},
			DateRange: &queryv1.DateRange{Preset: preset}, Include: &queryv1.Include{TimeLabels: true, Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}})
	}
	add("compare/sources", &queryv1.QueryRequest{Metrics: []string{"visitors", "bounce_rate", "percentage"}, Dimensions: []string{"visit:source"},
		DateRange: custom("2026-03-20", "2026-04-02"), Include: &queryv1.Include{Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD, TotalRows: true}})
	for _, off := range []int32{0, 2, 5} {
		add(fmt.Sprintf("paging/offset=%d", off), &queryv1.QueryRequest{Metrics: []string{"visitors", "events"}, Dimensions: []string{"event:page"},
			Limit: 3, Offset: off, Include: &queryv1.Include{TotalRows: true}})
	}
	for _, o := range []*queryv1.OrderBy{{Field: "bounce_rate", Descending: true}, {Field: "visit_duration"}, {Field: "visit:browser", Descending: true}, {Field: "views_per_visit"}} {
		add("order="+o.GetField(), &queryv1.QueryRequest{Metrics: []string{"visitors", "bounce_rate", "visit_duration", "views_per_visit"},
			Dimensions: []string{"visit:browser"}, OrderBy: []*queryv1.OrderBy{o}})
	}
	add("two-dims", &queryv1.QueryRequest{Metrics: []string{"visitors", "visits", "percentage"}, Dimensions: []string{"visit:device", "time:week"}, Include: &queryv1.Include{TotalRows: true}})
	add("three-dims", &queryv1.QueryRequest{Metrics: []string{"visitors", "events"}, Dimensions: []string{"event:name", "event:props:plan", "visit:os"}})
	add("bots", &queryv1.QueryRequest{Metrics: topline, IncludeBots: true})
	add("bots/browsers", &queryv1.QueryRequest{Metrics: []string{"visitors", "percentage"}, Dimensions: []string{"visit:browser"}, IncludeBots: true})
	add("empty-range", &queryv1.QueryRequest{Metrics: topline, DateRange: custom("2025-01-01", "2025-01-31")})
	add("empty-range/series", &queryv1.QueryRequest{Metrics: topline, Dimensions: []string{"time:day"}, DateRange: custom("2025-01-01", "2025-01-07"),
		Include: &queryv1.Include{TimeLabels: true, Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_YEAR_OVER_YEAR}})
	add("empty-range/pages", &queryv1.QueryRequest{Metrics: []string{"visitors", "percentage"}, Dimensions: []string{"event:page"}, DateRange: custom("2025-01-01", "2025-01-01")})
	add("custom-events", &queryv1.QueryRequest{Metrics: []string{"visitors", "events", "percentage"}, Dimensions: []string{"event:name"},
		Filters: []*queryv1.Filter{filter("event:name", queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, "page_view")}})
	add("filters/combined", &queryv1.QueryRequest{Metrics: topline, Filters: []*queryv1.Filter{
		filter("visit:device", queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, "bot"),
		filter("event:page", queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS, "blog", "pricing"),
		filter("visit:source", queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS_NOT, "google")}})
	return out
}

// storesAnswerIdentically is the shared equality suite: every case on
// both stores, exact equality of every row, metric, comparison and total.
func storesAnswerIdentically(t *testing.T, s *stores) {
	all := cases()
	ran, nonEmpty := 0, 0
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			ran++
			_, pg, ch, err := s.answer(t, c.req, now)
			if err != nil {
				t.Fatal(err)
			}
			if p := engine.Compare(c.req.GetMetrics(), pg, ch); !p.GetMatch() {
				t.Fatalf("stores differ:\n%s", strings.Join(p.GetDifferences(), "\n"))
			}
			if len(pg.GetRows()) > 0 && anyNonZero(pg) {
				nonEmpty++
			}
		})
	}
	t.Logf("equality suite: %d cases defined, %d run, %d with data", len(all), ran, nonEmpty)
	// Guard against a suite that passes because everything is empty.
	if nonEmpty < ran*3/4 {
		t.Errorf("only %d of %d cases returned data", nonEmpty, ran)
	}
}

func anyNonZero(r *queryv1.StoreResult) bool {
	for _, row := range r.GetRows() {
		for _, v := range row.GetMetrics() {
			if v != 0 {
				return true
			}
		}
	}
	return false
}
