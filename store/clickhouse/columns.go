package clickhouse

import (
	"sort"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/eventrow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// column is one column of the events table: its name and type exactly as
// the migrations create them (system.columns; TestColumnsMatchMigrations
// checks the table against the migrated database), the value an Event
// appends to it, and how the value read back sets the Event. The INSERT
// column list, the Append row and the read-back scan are all derived from
// the one list below, in its order: a new event field is one migration plus
// one entry here.
type column struct {
	eventrow.Column // name and SQL type
	// selectExpr reads the column back when the driver cannot scan it
	// as is (UUID and Enum8 are read as strings); empty means the name.
	selectExpr string
	value      func(*eventv1.Event) any
	// read returns the Scan destination for an event made by
	// eventrow.Empty and the step that moves the scanned value into it;
	// the steps run in column order and may share the row's scratch.
	read func(*eventv1.Event, *scratch) (dest any, apply func())
}

// scratch carries what one column's read-back leaves for a later one (the
// property keys for the property values).
type scratch struct{ propertyKeys []string }

// typed builds a column whose read-back scans a T and hands it to set.
func typed[T any](name, typ string, value func(*eventv1.Event) any, set func(*eventv1.Event, *scratch, T)) column {
	return column{Column: eventrow.Column{Name: name, Type: typ}, value: value, read: func(ev *eventv1.Event, sc *scratch) (any, func()) {
		v := new(T)
		return v, func() { set(ev, sc, *v) }
	}}
}

// str is a String column of a string field.
func str(name string, get func(*eventv1.Event) string, set func(*eventv1.Event, string)) column {
	return typed(name, "String", func(ev *eventv1.Event) any { return get(ev) },
		func(ev *eventv1.Event, _ *scratch, v string) { set(ev, v) })
}

// unsigned is a UInt32 or UInt64 column of a field of the same width.
func unsigned[U uint32 | uint64](name, typ string, get func(*eventv1.Event) U, set func(*eventv1.Event, U)) column {
	return typed(name, typ, func(ev *eventv1.Event) any { return get(ev) },
		func(ev *eventv1.Event, _ *scratch, v U) { set(ev, v) })
}

// flag is a UInt8 0/1 column of a bool field (18.16 has no Bool type).
func flag(name string, get func(*eventv1.Event) bool, set func(*eventv1.Event, bool)) column {
	return typed(name, "UInt8", func(ev *eventv1.Event) any {
		if get(ev) {
			return uint8(1)
		}
		return uint8(0)
	}, func(ev *eventv1.Event, _ *scratch, v uint8) { set(ev, v == 1) })
}

// timestamp is two columns: DateTime seconds and the nanoseconds (18.16 has
// no DateTime64), so the read-back is exact.
func timestamp(name string, get func(*eventv1.Event) *timestamppb.Timestamp, set func(*eventv1.Event, *timestamppb.Timestamp)) []column {
	return []column{
		typed(name, "DateTime('UTC')",
			func(ev *eventv1.Event) any { return time.Unix(get(ev).GetSeconds(), 0).UTC() },
			func(ev *eventv1.Event, _ *scratch, v time.Time) { set(ev, &timestamppb.Timestamp{Seconds: v.Unix()}) }),
		typed(name+"_ns", "UInt32",
			func(ev *eventv1.Event) any { return uint32(get(ev).GetNanos()) },
			func(ev *eventv1.Event, _ *scratch, v uint32) { get(ev).Nanos = int32(v) }),
	}
}

// deviceClassType is the Enum8 of eventrow.DeviceClassName's names.
const deviceClassType = "Enum8('unspecified' = 0, 'desktop' = 1, 'mobile' = 2, 'tablet' = 3, 'bot' = 4, 'other' = 5)"

// columns is the events table, in the migrations' column order.
var columns = concat(
	[]column{
		{Column: eventrow.Column{Name: "event_id", Type: "UUID"}, selectExpr: "toString(event_id)",
			value: func(ev *eventv1.Event) any { return ev.GetEventId() },
			read:  func(ev *eventv1.Event, _ *scratch) (any, func()) { return &ev.EventId, func() {} }},
		str("site_id", (*eventv1.Event).GetSiteId, func(ev *eventv1.Event, v string) { ev.SiteId = v }),
		str("name", (*eventv1.Event).GetName, func(ev *eventv1.Event, v string) { ev.Name = v }),
	},
	timestamp("occurred_at", (*eventv1.Event).GetOccurredAt, func(ev *eventv1.Event, v *timestamppb.Timestamp) { ev.OccurredAt = v }),
	timestamp("received_at", (*eventv1.Event).GetReceivedAt, func(ev *eventv1.Event, v *timestamppb.Timestamp) { ev.ReceivedAt = v }),
	[]column{
		str("visitor_id", (*eventv1.Event).GetVisitorId, func(ev *eventv1.Event, v string) { ev.VisitorId = v }),
		str("user_id", (*eventv1.Event).GetUserId, func(ev *eventv1.Event, v string) { ev.UserId = v }),
		str("session_id", (*eventv1.Event).GetSessionId, func(ev *eventv1.Event, v string) { ev.SessionId = v }),
		str("url", func(ev *eventv1.Event) string { return ev.GetPage().GetUrl() }, func(ev *eventv1.Event, v string) { ev.Page.Url = v }),
		str("path", func(ev *eventv1.Event) string { return ev.GetPage().GetPath() }, func(ev *eventv1.Event, v string) { ev.Page.Path = v }),
		str("title", func(ev *eventv1.Event) string { return ev.GetPage().GetTitle() }, func(ev *eventv1.Event, v string) { ev.Page.Title = v }),
		str("referrer", func(ev *eventv1.Event) string { return ev.GetPage().GetReferrer() }, func(ev *eventv1.Event, v string) { ev.Page.Referrer = v }),
		str("http_method", (*eventv1.Event).GetHttpMethod, func(ev *eventv1.Event, v string) { ev.HttpMethod = v }),
		unsigned("http_status", "UInt32", (*eventv1.Event).GetHttpStatus, func(ev *eventv1.Event, v uint32) { ev.HttpStatus = v }),
		unsigned("duration_us", "UInt64", (*eventv1.Event).GetDurationUs, func(ev *eventv1.Event, v uint64) { ev.DurationUs = v }),
		str("user_agent", func(ev *eventv1.Event) string { return ev.GetClient().GetUserAgent() }, func(ev *eventv1.Event, v string) { ev.Client.UserAgent = v }),
		str("locale", func(ev *eventv1.Event) string { return ev.GetClient().GetLocale() }, func(ev *eventv1.Event, v string) { ev.Client.Locale = v }),
		unsigned("screen_width", "UInt32", func(ev *eventv1.Event) uint32 { return ev.GetClient().GetScreenWidth() }, func(ev *eventv1.Event, v uint32) { ev.Client.ScreenWidth = v }),
		unsigned("screen_height", "UInt32", func(ev *eventv1.Event) uint32 { return ev.GetClient().GetScreenHeight() }, func(ev *eventv1.Event, v uint32) { ev.Client.ScreenHeight = v }),
		str("time_zone", func(ev *eventv1.Event) string { return ev.GetClient().GetTimeZone() }, func(ev *eventv1.Event, v string) { ev.Client.TimeZone = v }),
		str("ip", func(ev *eventv1.Event) string { return ev.GetClient().GetIp() }, func(ev *eventv1.Event, v string) { ev.Client.Ip = v }),
		str("utm_source", func(ev *eventv1.Event) string { return ev.GetUtm().GetSource() }, func(ev *eventv1.Event, v string) { ev.Utm.Source = v }),
		str("utm_medium", func(ev *eventv1.Event) string { return ev.GetUtm().GetMedium() }, func(ev *eventv1.Event, v string) { ev.Utm.Medium = v }),
		str("utm_campaign", func(ev *eventv1.Event) string { return ev.GetUtm().GetCampaign() }, func(ev *eventv1.Event, v string) { ev.Utm.Campaign = v }),
		str("utm_term", func(ev *eventv1.Event) string { return ev.GetUtm().GetTerm() }, func(ev *eventv1.Event, v string) { ev.Utm.Term = v }),
		str("utm_content", func(ev *eventv1.Event) string { return ev.GetUtm().GetContent() }, func(ev *eventv1.Event, v string) { ev.Utm.Content = v }),
		// Two arrays instead of Map (not in 18.16), keys sorted so equal
		// property sets give equal rows.
		typed("properties_keys", "Array(String)", func(ev *eventv1.Event) any { return propertyKeys(ev) },
			func(_ *eventv1.Event, sc *scratch, keys []string) { sc.propertyKeys = keys }),
		typed("properties_values", "Array(String)", propertyValues, setProperties),
		str("browser", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetBrowser() }, func(ev *eventv1.Event, v string) { ev.Enrichment.Browser = v }),
		str("browser_version", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetBrowserVersion() }, func(ev *eventv1.Event, v string) { ev.Enrichment.BrowserVersion = v }),
		str("os", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetOs() }, func(ev *eventv1.Event, v string) { ev.Enrichment.Os = v }),
		str("os_version", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetOsVersion() }, func(ev *eventv1.Event, v string) { ev.Enrichment.OsVersion = v }),
		{Column: eventrow.Column{Name: "device_class", Type: deviceClassType}, selectExpr: "toString(device_class)",
			value: func(ev *eventv1.Event) any { return eventrow.DeviceClassName(ev.GetEnrichment().GetDeviceClass()) },
			read: func(ev *eventv1.Event, _ *scratch) (any, func()) {
				v := new(string)
				return v, func() { ev.Enrichment.DeviceClass = eventrow.DeviceClassFromName(*v) }
			}},
		flag("is_bot", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetIsBot() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.IsBot = v }),
		str("referrer_host", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetReferrerHost() }, func(ev *eventv1.Event, v string) { ev.Enrichment.ReferrerHost = v }),
		flag("clock_clamped", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetClockClamped() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.ClockClamped = v }),
		flag("visitor_id_derived", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetVisitorIdDerived() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.VisitorIdDerived = v }),
		flag("event_id_assigned", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetEventIdAssigned() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.EventIdAssigned = v }),
	},
)

func concat(parts ...[]column) []column {
	var out []column
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// selectList reads every column back, in table order.
func selectList() []string {
	exprs := make([]string, len(columns))
	for i, c := range columns {
		exprs[i] = c.Name
		if c.selectExpr != "" {
			exprs[i] = c.selectExpr
		}
	}
	return exprs
}

// toRow is the Append row of an event.
func toRow(ev *eventv1.Event) []any {
	row := make([]any, len(columns))
	for i, c := range columns {
		row[i] = c.value(ev)
	}
	return row
}

// scanTargets returns the Scan destinations for ev (from eventrow.Empty)
// and the steps that finish it once the row is scanned, in column order.
func scanTargets(ev *eventv1.Event) (dests []any, apply []func()) {
	sc := &scratch{}
	dests, apply = make([]any, len(columns)), make([]func(), len(columns))
	for i, c := range columns {
		dests[i], apply[i] = c.read(ev, sc)
	}
	return dests, apply
}

func propertyKeys(ev *eventv1.Event) []string {
	keys := make([]string, 0, len(ev.GetProperties()))
	for k := range ev.GetProperties() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func propertyValues(ev *eventv1.Event) any {
	keys := propertyKeys(ev)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = ev.GetProperties()[k]
	}
	return vals
}

func setProperties(ev *eventv1.Event, sc *scratch, vals []string) {
	if len(sc.propertyKeys) == 0 {
		return
	}
	ev.Properties = make(map[string]string, len(sc.propertyKeys))
	for i, k := range sc.propertyKeys {
		ev.Properties[k] = vals[i]
	}
}
