package eventrow

import (
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Kind is how a field is kept; each store maps a kind to its column type(s)
// (columns.go of store/postgres and store/clickhouse).
type Kind int

// The kinds of event fields.
const (
	KindEventID     Kind = iota // the identity: a UUID in text form
	KindString                  // text
	KindUint32                  // unsigned 32-bit
	KindUint64                  // unsigned 64-bit
	KindBool                    // flag
	KindTime                    // instant with nanoseconds
	KindProperties              // string to string map
	KindDeviceClass             // the enum, kept by DeviceClassName
)

// Access reads a field of an event (Get is nil-safe: it reads through the
// generated getters) and sets it on an event made by Empty.
type Access[T any] struct {
	Get func(*eventv1.Event) T
	Set func(*eventv1.Event, T)
}

// Field is one event field as both stores keep it: its column name, its
// kind, and the accessor of that kind (the others are zero).
type Field struct {
	Name   string
	Kind   Kind
	String Access[string] // KindEventID, KindString
	Uint32 Access[uint32]
	Uint64 Access[uint64]
	Bool   Access[bool]
	Time   Access[*timestamppb.Timestamp]
	Props  Access[map[string]string]
	Device Access[eventv1.DeviceClass]
}

type event = eventv1.Event

func str(name string, get func(*event) string, set func(*event, string)) Field {
	return Field{Name: name, Kind: KindString, String: Access[string]{get, set}}
}

func u32(name string, get func(*event) uint32, set func(*event, uint32)) Field {
	return Field{Name: name, Kind: KindUint32, Uint32: Access[uint32]{get, set}}
}

func flag(name string, get func(*event) bool, set func(*event, bool)) Field {
	return Field{Name: name, Kind: KindBool, Bool: Access[bool]{get, set}}
}

func instant(name string, get func(*event) *timestamppb.Timestamp, set func(*event, *timestamppb.Timestamp)) Field {
	return Field{Name: name, Kind: KindTime, Time: Access[*timestamppb.Timestamp]{get, set}}
}

// Fields is every event field the stores keep, in column order: the one
// place a new field is added (then one migration per store adds its
// column; each store's TestColumnsMatchMigrations checks the two agree).
func Fields() []Field {
	return []Field{
		{Name: "event_id", Kind: KindEventID, String: Access[string]{(*event).GetEventId, func(e *event, v string) { e.EventId = v }}},
		str("site_id", (*event).GetSiteId, func(e *event, v string) { e.SiteId = v }),
		str("name", (*event).GetName, func(e *event, v string) { e.Name = v }),
		instant("occurred_at", (*event).GetOccurredAt, func(e *event, v *timestamppb.Timestamp) { e.OccurredAt = v }),
		instant("received_at", (*event).GetReceivedAt, func(e *event, v *timestamppb.Timestamp) { e.ReceivedAt = v }),
		str("visitor_id", (*event).GetVisitorId, func(e *event, v string) { e.VisitorId = v }),
		str("user_id", (*event).GetUserId, func(e *event, v string) { e.UserId = v }),
		str("session_id", (*event).GetSessionId, func(e *event, v string) { e.SessionId = v }),
		str("url", func(e *event) string { return e.GetPage().GetUrl() }, func(e *event, v string) { e.Page.Url = v }),
		str("path", func(e *event) string { return e.GetPage().GetPath() }, func(e *event, v string) { e.Page.Path = v }),
		str("title", func(e *event) string { return e.GetPage().GetTitle() }, func(e *event, v string) { e.Page.Title = v }),
		str("referrer", func(e *event) string { return e.GetPage().GetReferrer() }, func(e *event, v string) { e.Page.Referrer = v }),
		str("http_method", (*event).GetHttpMethod, func(e *event, v string) { e.HttpMethod = v }),
		u32("http_status", (*event).GetHttpStatus, func(e *event, v uint32) { e.HttpStatus = v }),
		{Name: "duration_us", Kind: KindUint64, Uint64: Access[uint64]{(*event).GetDurationUs, func(e *event, v uint64) { e.DurationUs = v }}},
		str("user_agent", func(e *event) string { return e.GetClient().GetUserAgent() }, func(e *event, v string) { e.Client.UserAgent = v }),
		str("locale", func(e *event) string { return e.GetClient().GetLocale() }, func(e *event, v string) { e.Client.Locale = v }),
		u32("screen_width", func(e *event) uint32 { return e.GetClient().GetScreenWidth() }, func(e *event, v uint32) { e.Client.ScreenWidth = v }),
		u32("screen_height", func(e *event) uint32 { return e.GetClient().GetScreenHeight() }, func(e *event, v uint32) { e.Client.ScreenHeight = v }),
		str("time_zone", func(e *event) string { return e.GetClient().GetTimeZone() }, func(e *event, v string) { e.Client.TimeZone = v }),
		str("ip", func(e *event) string { return e.GetClient().GetIp() }, func(e *event, v string) { e.Client.Ip = v }),
		str("utm_source", func(e *event) string { return e.GetUtm().GetSource() }, func(e *event, v string) { e.Utm.Source = v }),
		str("utm_medium", func(e *event) string { return e.GetUtm().GetMedium() }, func(e *event, v string) { e.Utm.Medium = v }),
		str("utm_campaign", func(e *event) string { return e.GetUtm().GetCampaign() }, func(e *event, v string) { e.Utm.Campaign = v }),
		str("utm_term", func(e *event) string { return e.GetUtm().GetTerm() }, func(e *event, v string) { e.Utm.Term = v }),
		str("utm_content", func(e *event) string { return e.GetUtm().GetContent() }, func(e *event, v string) { e.Utm.Content = v }),
		{Name: "properties", Kind: KindProperties, Props: Access[map[string]string]{(*event).GetProperties, func(e *event, v map[string]string) { e.Properties = v }}},
		str("browser", func(e *event) string { return e.GetEnrichment().GetBrowser() }, func(e *event, v string) { e.Enrichment.Browser = v }),
		str("browser_version", func(e *event) string { return e.GetEnrichment().GetBrowserVersion() }, func(e *event, v string) { e.Enrichment.BrowserVersion = v }),
		str("os", func(e *event) string { return e.GetEnrichment().GetOs() }, func(e *event, v string) { e.Enrichment.Os = v }),
		str("os_version", func(e *event) string { return e.GetEnrichment().GetOsVersion() }, func(e *event, v string) { e.Enrichment.OsVersion = v }),
		{Name: "device_class", Kind: KindDeviceClass, Device: Access[eventv1.DeviceClass]{
			func(e *event) eventv1.DeviceClass { return e.GetEnrichment().GetDeviceClass() }, func(e *event, v eventv1.DeviceClass) { e.Enrichment.DeviceClass = v }}},
		flag("is_bot", func(e *event) bool { return e.GetEnrichment().GetIsBot() }, func(e *event, v bool) { e.Enrichment.IsBot = v }),
		str("referrer_host", func(e *event) string { return e.GetEnrichment().GetReferrerHost() }, func(e *event, v string) { e.Enrichment.ReferrerHost = v }),
		flag("clock_clamped", func(e *event) bool { return e.GetEnrichment().GetClockClamped() }, func(e *event, v bool) { e.Enrichment.ClockClamped = v }),
		flag("visitor_id_derived", func(e *event) bool { return e.GetEnrichment().GetVisitorIdDerived() }, func(e *event, v bool) { e.Enrichment.VisitorIdDerived = v }),
		flag("event_id_assigned", func(e *event) bool { return e.GetEnrichment().GetEventIdAssigned() }, func(e *event, v bool) { e.Enrichment.EventIdAssigned = v }),
	}
}
