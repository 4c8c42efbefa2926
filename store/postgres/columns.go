package postgres

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
	"github.com/footprint/footprint/store/eventrow"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// column is one column of the events table: its name and type exactly as
// the migrations create them (format_type; TestColumnsMatchMigrations checks
// the table against the migrated database), the value an Event stores in it,
// and how the value read back sets the Event. The COPY column list, the row
// and the read-back scan are all derived from the one list below, in its
// order: a new event field is one migration plus one entry here.
type column struct {
	eventrow.Column // name and SQL type
	// value returns what COPY writes; an error rejects the event.
	value func(*eventv1.Event) (any, error)
	// read returns the Scan destination for an event made by
	// eventrow.Empty and the step that moves the scanned value into it.
	read func(*eventv1.Event) (dest any, apply func() error)
}

// scanned builds a column whose read-back scans a T and hands it to set.
func scanned[T any](name, typ string, value func(*eventv1.Event) (any, error), set func(*eventv1.Event, T) error) column {
	return column{Column: eventrow.Column{Name: name, Type: typ}, value: value, read: func(ev *eventv1.Event) (any, func() error) {
		v := new(T)
		return v, func() error { return set(ev, *v) }
	}}
}

// text is a text column of a string field (NUL characters removed).
func text(name string, get func(*eventv1.Event) string, set func(*eventv1.Event, string)) column {
	return scanned(name, "text",
		func(ev *eventv1.Event) (any, error) { return clean(get(ev)), nil },
		func(ev *eventv1.Event, v string) error { set(ev, v); return nil })
}

// bigint is a bigint column of an unsigned field (PostgreSQL has no
// unsigned types; values above MaxInt64 are clamped).
func bigint[U uint32 | uint64](name string, get func(*eventv1.Event) U, set func(*eventv1.Event, U)) column {
	return scanned(name, "bigint",
		func(ev *eventv1.Event) (any, error) { return clampInt64(uint64(get(ev))), nil },
		func(ev *eventv1.Event, v int64) error { set(ev, U(v)); return nil })
}

func boolean(name string, get func(*eventv1.Event) bool, set func(*eventv1.Event, bool)) column {
	return scanned(name, "boolean",
		func(ev *eventv1.Event) (any, error) { return get(ev), nil },
		func(ev *eventv1.Event, v bool) error { set(ev, v); return nil })
}

// timestamp is a timestamptz column (microsecond precision).
func timestamp(name string, get func(*eventv1.Event) *timestamppb.Timestamp, set func(*eventv1.Event, *timestamppb.Timestamp)) column {
	return scanned(name, "timestamp with time zone",
		func(ev *eventv1.Event) (any, error) { return get(ev).AsTime(), nil },
		func(ev *eventv1.Event, v time.Time) error { set(ev, timestamppb.New(v)); return nil })
}

// columns is the events table, in the migrations' column order.
var columns = []column{
	scanned("event_id", "uuid",
		eventID, func(ev *eventv1.Event, v pgtype.UUID) error { ev.EventId = uuid.UUID(v.Bytes).String(); return nil }),
	text("site_id", (*eventv1.Event).GetSiteId, func(ev *eventv1.Event, v string) { ev.SiteId = v }),
	text("name", (*eventv1.Event).GetName, func(ev *eventv1.Event, v string) { ev.Name = v }),
	timestamp("occurred_at", (*eventv1.Event).GetOccurredAt, func(ev *eventv1.Event, v *timestamppb.Timestamp) { ev.OccurredAt = v }),
	timestamp("received_at", (*eventv1.Event).GetReceivedAt, func(ev *eventv1.Event, v *timestamppb.Timestamp) { ev.ReceivedAt = v }),
	text("visitor_id", (*eventv1.Event).GetVisitorId, func(ev *eventv1.Event, v string) { ev.VisitorId = v }),
	text("user_id", (*eventv1.Event).GetUserId, func(ev *eventv1.Event, v string) { ev.UserId = v }),
	text("session_id", (*eventv1.Event).GetSessionId, func(ev *eventv1.Event, v string) { ev.SessionId = v }),
	text("url", func(ev *eventv1.Event) string { return ev.GetPage().GetUrl() }, func(ev *eventv1.Event, v string) { ev.Page.Url = v }),
	text("path", func(ev *eventv1.Event) string { return ev.GetPage().GetPath() }, func(ev *eventv1.Event, v string) { ev.Page.Path = v }),
	text("title", func(ev *eventv1.Event) string { return ev.GetPage().GetTitle() }, func(ev *eventv1.Event, v string) { ev.Page.Title = v }),
	text("referrer", func(ev *eventv1.Event) string { return ev.GetPage().GetReferrer() }, func(ev *eventv1.Event, v string) { ev.Page.Referrer = v }),
	text("http_method", (*eventv1.Event).GetHttpMethod, func(ev *eventv1.Event, v string) { ev.HttpMethod = v }),
	bigint("http_status", (*eventv1.Event).GetHttpStatus, func(ev *eventv1.Event, v uint32) { ev.HttpStatus = v }),
	bigint("duration_us", (*eventv1.Event).GetDurationUs, func(ev *eventv1.Event, v uint64) { ev.DurationUs = v }),
	text("user_agent", func(ev *eventv1.Event) string { return ev.GetClient().GetUserAgent() }, func(ev *eventv1.Event, v string) { ev.Client.UserAgent = v }),
	text("locale", func(ev *eventv1.Event) string { return ev.GetClient().GetLocale() }, func(ev *eventv1.Event, v string) { ev.Client.Locale = v }),
	bigint("screen_width", func(ev *eventv1.Event) uint32 { return ev.GetClient().GetScreenWidth() }, func(ev *eventv1.Event, v uint32) { ev.Client.ScreenWidth = v }),
	bigint("screen_height", func(ev *eventv1.Event) uint32 { return ev.GetClient().GetScreenHeight() }, func(ev *eventv1.Event, v uint32) { ev.Client.ScreenHeight = v }),
	text("time_zone", func(ev *eventv1.Event) string { return ev.GetClient().GetTimeZone() }, func(ev *eventv1.Event, v string) { ev.Client.TimeZone = v }),
	text("ip", func(ev *eventv1.Event) string { return ev.GetClient().GetIp() }, func(ev *eventv1.Event, v string) { ev.Client.Ip = v }),
	text("utm_source", func(ev *eventv1.Event) string { return ev.GetUtm().GetSource() }, func(ev *eventv1.Event, v string) { ev.Utm.Source = v }),
	text("utm_medium", func(ev *eventv1.Event) string { return ev.GetUtm().GetMedium() }, func(ev *eventv1.Event, v string) { ev.Utm.Medium = v }),
	text("utm_campaign", func(ev *eventv1.Event) string { return ev.GetUtm().GetCampaign() }, func(ev *eventv1.Event, v string) { ev.Utm.Campaign = v }),
	text("utm_term", func(ev *eventv1.Event) string { return ev.GetUtm().GetTerm() }, func(ev *eventv1.Event, v string) { ev.Utm.Term = v }),
	text("utm_content", func(ev *eventv1.Event) string { return ev.GetUtm().GetContent() }, func(ev *eventv1.Event, v string) { ev.Utm.Content = v }),
	scanned("properties", "jsonb", propertiesJSON, setProperties),
	text("browser", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetBrowser() }, func(ev *eventv1.Event, v string) { ev.Enrichment.Browser = v }),
	text("browser_version", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetBrowserVersion() }, func(ev *eventv1.Event, v string) { ev.Enrichment.BrowserVersion = v }),
	text("os", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetOs() }, func(ev *eventv1.Event, v string) { ev.Enrichment.Os = v }),
	text("os_version", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetOsVersion() }, func(ev *eventv1.Event, v string) { ev.Enrichment.OsVersion = v }),
	text("device_class", func(ev *eventv1.Event) string { return eventrow.DeviceClassName(ev.GetEnrichment().GetDeviceClass()) },
		func(ev *eventv1.Event, v string) { ev.Enrichment.DeviceClass = eventrow.DeviceClassFromName(v) }),
	boolean("is_bot", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetIsBot() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.IsBot = v }),
	text("referrer_host", func(ev *eventv1.Event) string { return ev.GetEnrichment().GetReferrerHost() }, func(ev *eventv1.Event, v string) { ev.Enrichment.ReferrerHost = v }),
	boolean("clock_clamped", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetClockClamped() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.ClockClamped = v }),
	boolean("visitor_id_derived", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetVisitorIdDerived() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.VisitorIdDerived = v }),
	boolean("event_id_assigned", func(ev *eventv1.Event) bool { return ev.GetEnrichment().GetEventIdAssigned() }, func(ev *eventv1.Event, v bool) { ev.Enrichment.EventIdAssigned = v }),
}

// keyColumns are the event_keys columns, each also a column of events.
var keyColumns = []string{"event_id", "occurred_at"}

// keyPicker returns a function that takes the event_keys row out of an
// events row.
func keyPicker() func(row []any) []any {
	idx := make([]int, len(keyColumns))
	for i, name := range keyColumns {
		for j, c := range columns {
			if c.Name == name {
				idx[i] = j
			}
		}
	}
	return func(row []any) []any {
		key := make([]any, len(idx))
		for i, j := range idx {
			key[i] = row[j]
		}
		return key
	}
}

// toRow is the COPY row of an event.
func toRow(ev *eventv1.Event) ([]any, error) {
	row := make([]any, len(columns))
	for i, c := range columns {
		v, err := c.value(ev)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		row[i] = v
	}
	return row, nil
}

// scanTargets returns the Scan destinations for ev (from eventrow.Empty)
// and the steps that finish it once the row is scanned.
func scanTargets(ev *eventv1.Event) (dests []any, apply []func() error) {
	dests, apply = make([]any, len(columns)), make([]func() error, len(columns))
	for i, c := range columns {
		dests[i], apply[i] = c.read(ev)
	}
	return dests, apply
}

// clean removes NUL characters: valid in protobuf strings, impossible in
// PostgreSQL text and jsonb. This is the one change an event may undergo.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// eventID is the event_id column's value: eventcheck.ParseEventID, the one
// UUID check the collector and the writers' decoder also run.
func eventID(ev *eventv1.Event) (any, error) {
	id, err := eventcheck.ParseEventID(ev.GetEventId())
	if err != nil {
		return nil, err
	}
	return pgtype.UUID{Bytes: id, Valid: true}, nil
}

func propertiesJSON(ev *eventv1.Event) (any, error) {
	props := make(map[string]string, len(ev.GetProperties()))
	for k, v := range ev.GetProperties() {
		props[clean(k)] = clean(v)
	}
	b, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	return string(b), nil
}

func setProperties(ev *eventv1.Event, raw []byte) error {
	var props map[string]string
	if err := json.Unmarshal(raw, &props); err != nil {
		return fmt.Errorf("properties: %w", err)
	}
	if len(props) > 0 {
		ev.Properties = props
	}
	return nil
}
