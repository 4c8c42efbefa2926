package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

var testNow = time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)

func opts() Options { return Options{MaxRangeDays: 400, Now: func() time.Time { return testNow }} }

func valid() *queryv1.QueryRequest {
	return &queryv1.QueryRequest{SiteId: "s", DateRange: &queryv1.DateRange{Preset: "7d"}, Metrics: []string{"visitors"}}
}

func TestPlanRejectsNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *queryv1.QueryRequest)
		field string
	}{
		{"no site", func(r *queryv1.QueryRequest) { r.SiteId = "" }, "site_id"},
		{"unknown metric", func(r *queryv1.QueryRequest) { r.Metrics = []string{"visitors", "revenue"} }, "metrics[1]"},
		{"no metric", func(r *queryv1.QueryRequest) { r.Metrics = nil }, "metrics"},
		{"unknown dimension", func(r *queryv1.QueryRequest) { r.Dimensions = []string{"visit:country"} }, "dimensions[0]"},
		{"empty property key", func(r *queryv1.QueryRequest) { r.Dimensions = []string{"event:props:"} }, "dimensions[0]"},
		{"two time dimensions", func(r *queryv1.QueryRequest) { r.Dimensions = []string{"time:day", "time:hour"} }, "dimensions[1]"},
		{"bounce rate by page", func(r *queryv1.QueryRequest) {
			r.Metrics = []string{"bounce_rate"}
			r.Dimensions = []string{"event:page"}
		}, "metrics[0]"},
		{"percentage without dimension", func(r *queryv1.QueryRequest) { r.Metrics = []string{"percentage"} }, "metrics[0]"},
		{"unknown filter dimension", func(r *queryv1.QueryRequest) {
			r.Filters = []*queryv1.Filter{{Dimension: "visit:planet", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS, Values: []string{"x"}}}
		}, "filters[0].dimension"},
		{"time filter", func(r *queryv1.QueryRequest) {
			r.Filters = []*queryv1.Filter{{Dimension: "time:day", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS, Values: []string{"x"}}}
		}, "filters[0].dimension"},
		{"unknown operator", func(r *queryv1.QueryRequest) {
			r.Filters = []*queryv1.Filter{{Dimension: "event:page", Operator: 9, Values: []string{"x"}}}
		}, "filters[0].operator"},
		{"no filter values", func(r *queryv1.QueryRequest) {
			r.Filters = []*queryv1.Filter{{Dimension: "event:page", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS}}
		}, "filters[0].values"},
		{"bad time zone", func(r *queryv1.QueryRequest) { r.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"quote in time zone", func(r *queryv1.QueryRequest) { r.TimeZone = "UTC'" }, "time_zone"},
		{"range over max", func(r *queryv1.QueryRequest) {
			r.DateRange = &queryv1.DateRange{From: "2024-01-01", To: "2026-01-01"}
		}, "date_range"},
		{"bad preset", func(r *queryv1.QueryRequest) { r.DateRange = &queryv1.DateRange{Preset: "90d"} }, "date_range.preset"},
		{"bad date", func(r *queryv1.QueryRequest) { r.DateRange = &queryv1.DateRange{From: "2026-13-01", To: "2026-13-02"} }, "date_range.from"},
		{"to before from", func(r *queryv1.QueryRequest) { r.DateRange = &queryv1.DateRange{From: "2026-03-02", To: "2026-03-01"} }, "date_range.to"},
		{"no range", func(r *queryv1.QueryRequest) { r.DateRange = nil }, "date_range"},
		{"limit too big", func(r *queryv1.QueryRequest) { r.Limit = 10_001 }, "limit"},
		{"negative limit", func(r *queryv1.QueryRequest) { r.Limit = -1 }, "limit"},
		{"offset too big", func(r *queryv1.QueryRequest) { r.Offset = 10_001 }, "offset"},
		{"order by unknown", func(r *queryv1.QueryRequest) { r.OrderBy = []*queryv1.OrderBy{{Field: "pageviews"}} }, "order_by[0].field"},
		{"time labels without time", func(r *queryv1.QueryRequest) { r.Include = &queryv1.Include{TimeLabels: true} }, "include.time_labels"},
		{"unknown store", func(r *queryv1.QueryRequest) { r.Store = 7 }, "store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.edit(r)
			_, err := NewPlan(r, opts())
			var ia *InvalidArgumentError
			if !errors.As(err, &ia) {
				t.Fatalf("got %v, want an InvalidArgumentError", err)
			}
			if ia.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", ia.Field, tc.field, err)
			}
		})
	}
}

func TestPresetsResolveInTheTimeZone(t *testing.T) {
	// 10:00 UTC on 29 March is still 29 March in Berlin and in Los Angeles,
	// but 23:00 in Auckland (UTC+13), on the same day.
	now := time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC)
	o := Options{MaxRangeDays: 400, Now: func() time.Time { return now }}
	tests := []struct{ preset, tz, from, to string }{
		{"today", "UTC", "2026-03-29", "2026-03-29"},
		{"today", "Europe/Berlin", "2026-03-30", "2026-03-30"},
		{"yesterday", "America/Los_Angeles", "2026-03-28", "2026-03-28"},
		{"7d", "UTC", "2026-03-23", "2026-03-29"},
		{"30d", "UTC", "2026-02-28", "2026-03-29"},
		{"month", "Europe/Berlin", "2026-03-01", "2026-03-30"},
		{"year", "UTC", "2026-01-01", "2026-03-29"},
	}
	for _, tc := range tests {
		r := valid()
		r.DateRange, r.TimeZone = &queryv1.DateRange{Preset: tc.preset}, tc.tz
		p, err := NewPlan(r, o)
		if err != nil {
			t.Fatal(err)
		}
		if p.Range.FromLabel() != tc.from || p.Range.ToLabel() != tc.to {
			t.Errorf("%s in %s: %s..%s, want %s..%s", tc.preset, tc.tz, p.Range.FromLabel(), p.Range.ToLabel(), tc.from, tc.to)
		}
	}
}

func TestDSTDayHas23Hours(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	r := newRange(time.Date(2026, 3, 29, 0, 0, 0, 0, loc), time.Date(2026, 3, 29, 0, 0, 0, 0, loc), loc)
	if got := r.End.Sub(r.Start); got != 23*time.Hour {
		t.Errorf("29 March 2026 in Berlin lasts %v, want 23h", got)
	}
	hours := bucketLabels(unitHour, r)
	if len(hours) != 23 || slices.Contains(hours, "2026-03-29 02:00") {
		t.Errorf("hours %v: want 23 without 02:00", hours)
	}
	r = newRange(time.Date(2026, 10, 25, 0, 0, 0, 0, loc), time.Date(2026, 10, 25, 0, 0, 0, 0, loc), loc)
	if hours := bucketLabels(unitHour, r); len(hours) != 24 {
		t.Errorf("25 October: %d hour labels, want 24 (03:00 local repeats and merges)", len(hours))
	}
	weeks := bucketLabels(unitWeek, newRange(time.Date(2026, 3, 25, 0, 0, 0, 0, loc), time.Date(2026, 4, 6, 0, 0, 0, 0, loc), loc))
	if want := []string{"2026-03-23", "2026-03-30", "2026-04-06"}; !slices.Equal(weeks, want) {
		t.Errorf("weeks %v, want Mondays %v", weeks, want)
	}
}

func TestComparisonPeriods(t *testing.T) {
	r := newRange(time.Date(2024, 2, 27, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.UTC)
	prev := previousPeriod(r)
	if prev.FromLabel() != "2024-02-24" || prev.ToLabel() != "2024-02-26" {
		t.Errorf("previous period %s..%s", prev.FromLabel(), prev.ToLabel())
	}
	yoy := yearBefore(r)
	if yoy.FromLabel() != "2023-02-27" || yoy.ToLabel() != "2023-02-28" {
		t.Errorf("year before %s..%s", yoy.FromLabel(), yoy.ToLabel())
	}
}

func TestChangeAndRounding(t *testing.T) {
	tests := []struct {
		now, then float64
		points    bool
		want      float64
	}{{0, 0, false, 0}, {5, 0, false, 100}, {15, 10, false, 50}, {10, 15, false, -33.3}, {40.5, 50, true, -9.5}}
	for _, tc := range tests {
		if got := change(tc.now, tc.then, tc.points); got != tc.want {
			t.Errorf("change(%v, %v, %v) = %v, want %v", tc.now, tc.then, tc.points, got, tc.want)
		}
	}
	if Round2(2.005) != 2.01 && Round2(2.005) != 2 { // binary 2.005 is below; either is "half away" of its true value
		t.Errorf("Round2(2.005) = %v", Round2(2.005))
	}
	if Round2(1.0/3*100) != 33.33 || Round2(-1.255) != -1.25 && Round2(-1.255) != -1.26 {
		t.Errorf("Round2")
	}
}

// TestUserInputOnlyInArguments: no filter value, property key, site or
// time zone ever appears in the SQL text of either dialect.
func TestUserInputOnlyInArguments(t *testing.T) {
	marker := "zz'marker\"--"
	r := valid()
	r.SiteId = marker
	r.TimeZone = "Europe/Berlin"
	r.Dimensions = []string{"event:props:" + marker, "time:day"}
	r.Filters = []*queryv1.Filter{
		{Dimension: "event:page", Operator: queryv1.FilterOperator_FILTER_OPERATOR_CONTAINS, Values: []string{marker}},
		{Dimension: "visit:source", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS_NOT, Values: []string{marker}},
	}
	r.Metrics = []string{"visitors", "percentage"}
	r.Include = &queryv1.Include{TotalRows: true, Comparison: queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD}
	p, err := NewPlan(r, opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Dialect{Postgres{Schema: "footprint"}, ClickHouse{Database: "footprint"}} {
		s := p.Statements(d)
		for _, st := range []*Statement{s.Rows, s.Count, s.CompRows} {
			if strings.Contains(st.SQL, "zz") || strings.Contains(st.SQL, "Europe/Berlin") {
				t.Errorf("%s: user input in SQL text: %s", d.Name(), st.SQL)
			}
			if !slices.Contains(st.Args, any(marker)) {
				t.Errorf("%s: marker not among the arguments", d.Name())
			}
		}
	}
}

// A query whose dimensions and filters are all visit attributes reads whole
// visits: ClickHouse returns one row per visit (no second per-event array)
// and puts only the columns a visit needs into the per-visitor array; an
// event filter or dimension needs a row per event.
func TestWholeVisitsSkipTheEventRows(t *testing.T) {
	ch := ClickHouse{Database: "footprint"}
	r := valid()
	r.Metrics, r.Dimensions = []string{"visitors", "bounce_rate"}, []string{"visit:source"}
	p, err := NewPlan(r, opts())
	if err != nil {
		t.Fatal(err)
	}
	sql := p.Statements(ch).Rows.SQL
	if strings.Count(sql, "groupArray((") != 1 || !strings.Contains(sql, "groupArray((t_us, eid, name, ext_referrer_host))") || strings.Contains(sql, "ARRAY JOIN es AS e)") {
		t.Errorf("visit:source: want one per-visitor array of (t_us, eid, name, ext_referrer_host) and visit rows:\n%s", sql)
	}
	r.Filters = []*queryv1.Filter{{Dimension: "event:page", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS, Values: []string{"/"}}}
	if p, err = NewPlan(r, opts()); err != nil {
		t.Fatal(err)
	}
	if sql := p.Statements(ch).Rows.SQL; strings.Count(sql, "groupArray((t_us, eid, name, path, ext_referrer_host))") != 2 {
		t.Errorf("with an event filter: want the per-event rows (two arrays of every column):\n%s", sql)
	}
}
