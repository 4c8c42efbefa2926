// Package engine turns a dashboard query into a plan, the plan into SQL for
// PostgreSQL and for ClickHouse (both generated from the one definition of
// each metric and dimension in defs.go), and the stores' exact integer
// answers into result rows. It talks to no database.
package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// Limits of a query.
const (
	DefaultLimit = 100
	MaxLimit     = 10_000
	MaxOffset    = 10_000
	// MaxFilterValues bounds the values of one filter.
	MaxFilterValues = 100
	// MaxValueLength bounds one filter value in bytes.
	MaxValueLength = 2048
)

// InvalidArgumentError names the request field that is wrong and why.
type InvalidArgumentError struct {
	Field  string
	Reason string
}

func (e *InvalidArgumentError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &InvalidArgumentError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// IsInvalidArgument reports whether err is (or wraps) an InvalidArgumentError.
func IsInvalidArgument(err error) bool {
	var ia *InvalidArgumentError
	return errors.As(err, &ia)
}

// Dim is a resolved dimension.
type Dim struct {
	Name string
	def  dimensionDef
	// propKey is the property key of event:props:<key>.
	propKey string
}

// FilterSpec is a resolved filter.
type FilterSpec struct {
	Dim    Dim
	Op     queryv1.FilterOperator
	Values []string
}

// Order is one resolved sort key: a metric or a dimension.
type Order struct {
	Metric     string // set when sorting by a metric
	DimIndex   int    // else the index into Plan.Dims
	Descending bool
}

// Plan is a validated query.
type Plan struct {
	SiteID      string
	TimeZone    string
	Range       Range
	Comparison  *Range
	CompareMode queryv1.PeriodComparison
	Metrics     []string
	Dims        []Dim
	Filters     []FilterSpec
	Order       []Order
	Limit       int
	Offset      int
	TimeLabels  bool
	TotalRows   bool
	IncludeBots bool
	Store       queryv1.Store
}

// Options are the service's limits that shape validation.
type Options struct {
	MaxRangeDays int
	// Now is the clock (presets and realtime).
	Now func() time.Time
}

// NewPlan validates a request. Errors are InvalidArgumentError naming the field.
func NewPlan(req *queryv1.QueryRequest, opt Options) (*Plan, error) {
	p := &Plan{SiteID: req.GetSiteId(), IncludeBots: req.GetIncludeBots(), Store: req.GetStore()}
	if strings.TrimSpace(p.SiteID) == "" {
		return nil, invalid("site_id", "required")
	}
	if err := checkText("site_id", p.SiteID, MaxValueLength); err != nil {
		return nil, err
	}
	if _, ok := queryv1.Store_name[int32(p.Store)]; !ok {
		return nil, invalid("store", "unknown store %d", p.Store)
	}
	if err := p.resolveRange(req, opt); err != nil {
		return nil, err
	}
	if err := p.resolveDimensions(req.GetDimensions()); err != nil {
		return nil, err
	}
	if err := p.resolveMetrics(req.GetMetrics()); err != nil {
		return nil, err
	}
	if err := p.resolveFilters(req.GetFilters()); err != nil {
		return nil, err
	}
	if err := p.resolveOrder(req.GetOrderBy()); err != nil {
		return nil, err
	}
	if err := p.resolvePaging(req.GetLimit(), req.GetOffset()); err != nil {
		return nil, err
	}
	return p, p.resolveInclude(req.GetInclude())
}

// checkText refuses what no store can compare: NUL bytes (PostgreSQL text
// cannot hold them), invalid UTF-8, and overlong values.
func checkText(field, v string, maxLen int) error {
	switch {
	case len(v) > maxLen:
		return invalid(field, "longer than %d bytes", maxLen)
	case strings.ContainsRune(v, 0):
		return invalid(field, "contains a NUL byte")
	case !utf8.ValidString(v):
		return invalid(field, "is not valid UTF-8")
	}
	return nil
}

// LoadTimeZone resolves an IANA zone name; empty means UTC.
func LoadTimeZone(name string) (*time.Location, string, error) {
	if name == "" {
		return time.UTC, "UTC", nil
	}
	// "Local" would mean the server's zone, which the stores do not know.
	if name == "Local" || strings.ContainsAny(name, "'\\\x00") {
		return nil, "", invalid("time_zone", "unknown IANA time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, "", invalid("time_zone", "unknown IANA time zone %q", name)
	}
	return loc, name, nil
}

func (p *Plan) resolveRange(req *queryv1.QueryRequest, opt Options) error {
	loc, name, err := LoadTimeZone(req.GetTimeZone())
	if err != nil {
		return err
	}
	p.TimeZone = name
	dr := req.GetDateRange()
	switch {
	case dr.GetPreset() != "" && (dr.GetFrom() != "" || dr.GetTo() != ""):
		return invalid("date_range", "give a preset or from/to, not both")
	case dr.GetPreset() != "":
		r, err := resolvePreset(dr.GetPreset(), opt.Now(), loc)
		if err != nil {
			return invalid("date_range.preset", "%v", err)
		}
		p.Range = r
	case dr.GetFrom() != "" && dr.GetTo() != "":
		from, err := time.ParseInLocation(dateLayout, dr.GetFrom(), loc)
		if err != nil {
			return invalid("date_range.from", "want YYYY-MM-DD, got %q", dr.GetFrom())
		}
		to, err := time.ParseInLocation(dateLayout, dr.GetTo(), loc)
		if err != nil {
			return invalid("date_range.to", "want YYYY-MM-DD, got %q", dr.GetTo())
		}
		if to.Before(from) {
			return invalid("date_range.to", "%s is before from %s", dr.GetTo(), dr.GetFrom())
		}
		// DateTime in ClickHouse starts in 1970 and ends in 2106.
		if from.Year() < 1971 || to.Year() > 2100 {
			return invalid("date_range", "dates must lie between 1971 and 2100")
		}
		p.Range = newRange(from, to, loc)
	default:
		return invalid("date_range", "required: a preset or both from and to")
	}
	if days := p.Range.Days(); days > opt.MaxRangeDays {
		return invalid("date_range", "%d days is over the maximum of %d", days, opt.MaxRangeDays)
	}
	return nil
}

func (p *Plan) resolveDimensions(names []string) error {
	seen := map[string]bool{}
	timeDims := 0
	for i, name := range names {
		field := fmt.Sprintf("dimensions[%d]", i)
		def, key, ok := lookupDimension(name)
		if !ok {
			return invalid(field, "unknown dimension %q", name)
		}
		if seen[name] {
			return invalid(field, "dimension %q given twice", name)
		}
		seen[name] = true
		if def.kind == kindTime {
			timeDims++
			if timeDims > 1 {
				return invalid(field, "at most one time dimension")
			}
		}
		p.Dims = append(p.Dims, Dim{Name: name, def: def, propKey: key})
	}
	if len(p.Dims) > 3 {
		return invalid("dimensions", "at most 3 dimensions")
	}
	return nil
}

func (p *Plan) resolveMetrics(names []string) error {
	if len(names) == 0 {
		return invalid("metrics", "at least one metric")
	}
	seen := map[string]bool{}
	for i, name := range names {
		field := fmt.Sprintf("metrics[%d]", i)
		def, ok := metrics[name]
		if !ok {
			return invalid(field, "unknown metric %q", name)
		}
		if seen[name] {
			return invalid(field, "metric %q given twice", name)
		}
		seen[name] = true
		if name == MetricPercentage && len(p.Dims) == 0 {
			return invalid(field, "percentage needs at least one dimension")
		}
		if def.visitLevel {
			for _, d := range p.Dims {
				if d.def.kind == kindEvent {
					return invalid(field, "%s describes whole visits and cannot be grouped by the event dimension %s", name, d.Name)
				}
			}
		}
		p.Metrics = append(p.Metrics, name)
	}
	return nil
}

func (p *Plan) resolveFilters(filters []*queryv1.Filter) error {
	if len(filters) > 20 {
		return invalid("filters", "at most 20 filters")
	}
	for i, f := range filters {
		field := fmt.Sprintf("filters[%d]", i)
		def, key, ok := lookupDimension(f.GetDimension())
		if !ok {
			return invalid(field+".dimension", "unknown dimension %q", f.GetDimension())
		}
		if def.kind == kindTime {
			return invalid(field+".dimension", "time dimensions cannot be filtered; use date_range")
		}
		if _, ok := queryv1.FilterOperator_name[int32(f.GetOperator())]; !ok || f.GetOperator() == queryv1.FilterOperator_FILTER_OPERATOR_UNSPECIFIED {
			return invalid(field+".operator", "unknown filter operator %d", f.GetOperator())
		}
		if n := len(f.GetValues()); n == 0 || n > MaxFilterValues {
			return invalid(field+".values", "between 1 and %d values", MaxFilterValues)
		}
		for j, v := range f.GetValues() {
			if err := checkText(fmt.Sprintf("%s.values[%d]", field, j), v, MaxValueLength); err != nil {
				return err
			}
		}
		p.Filters = append(p.Filters, FilterSpec{
			Dim: Dim{Name: f.GetDimension(), def: def, propKey: key}, Op: f.GetOperator(), Values: slices.Clone(f.GetValues()),
		})
	}
	return nil
}

func (p *Plan) resolveOrder(order []*queryv1.OrderBy) error {
	for i, o := range order {
		field := fmt.Sprintf("order_by[%d].field", i)
		switch {
		case slices.Contains(p.Metrics, o.GetField()):
			p.Order = append(p.Order, Order{Metric: o.GetField(), Descending: o.GetDescending()})
		case slices.ContainsFunc(p.Dims, func(d Dim) bool { return d.Name == o.GetField() }):
			idx := slices.IndexFunc(p.Dims, func(d Dim) bool { return d.Name == o.GetField() })
			p.Order = append(p.Order, Order{DimIndex: idx, Descending: o.GetDescending()})
		default:
			return invalid(field, "%q is not a metric or dimension of this query", o.GetField())
		}
	}
	if len(p.Order) == 0 {
		p.Order = p.defaultOrder()
	}
	// Ties always break on every dimension ascending, so rows come in one
	// order from both stores.
	for i := range p.Dims {
		p.Order = append(p.Order, Order{DimIndex: i})
	}
	return nil
}

// defaultOrder: time ascending when a time dimension is asked for (a
// series), else the first metric descending.
func (p *Plan) defaultOrder() []Order {
	for i, d := range p.Dims {
		if d.def.kind == kindTime {
			return []Order{{DimIndex: i}}
		}
	}
	if len(p.Dims) == 0 {
		return nil
	}
	return []Order{{Metric: p.Metrics[0], Descending: true}}
}

func (p *Plan) resolvePaging(limit, offset int32) error {
	switch {
	case limit == 0:
		p.Limit = DefaultLimit
	case limit < 1 || limit > MaxLimit:
		return invalid("limit", "must be between 1 and %d (0 means %d)", MaxLimit, DefaultLimit)
	default:
		p.Limit = int(limit)
	}
	if offset < 0 || offset > MaxOffset {
		return invalid("offset", "must be between 0 and %d", MaxOffset)
	}
	p.Offset = int(offset)
	return nil
}

func (p *Plan) resolveInclude(inc *queryv1.Include) error {
	p.TotalRows = inc.GetTotalRows()
	p.TimeLabels = inc.GetTimeLabels()
	if p.TimeLabels && p.timeDim() < 0 {
		return invalid("include.time_labels", "needs a time:* dimension")
	}
	p.CompareMode = inc.GetComparison()
	switch p.CompareMode {
	case queryv1.PeriodComparison_PERIOD_COMPARISON_UNSPECIFIED:
	case queryv1.PeriodComparison_PERIOD_COMPARISON_PREVIOUS_PERIOD:
		r := previousPeriod(p.Range)
		p.Comparison = &r
	case queryv1.PeriodComparison_PERIOD_COMPARISON_YEAR_OVER_YEAR:
		r := yearBefore(p.Range)
		p.Comparison = &r
	default:
		return invalid("include.comparison", "unknown comparison %d", p.CompareMode)
	}
	if p.Comparison != nil && p.Comparison.First.Year() < 1971 {
		return invalid("include.comparison", "the comparison period starts before 1971")
	}
	return nil
}

// timeDim is the index of the time dimension, or -1.
func (p *Plan) timeDim() int {
	return slices.IndexFunc(p.Dims, func(d Dim) bool { return d.def.kind == kindTime })
}

// fillsTimeLabels: every bucket is listed when the only dimension is time.
func (p *Plan) fillsTimeLabels() bool {
	return p.TimeLabels && len(p.Dims) == 1 && p.timeDim() == 0
}
