package baseline

import (
	"encoding/json"
	"fmt"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// Columns of the bench-owned tables the per-message baselines write: one
// column per event field, like the writers' tables, so the per-message
// baseline does the same decoding and row building as a writer.
var Columns = []string{
	"event_id", "site_id", "name", "occurred_at", "received_at", "visitor_id", "user_id", "session_id",
	"url", "path", "title", "referrer", "referrer_host", "http_method", "http_status", "duration_us",
	"user_agent", "browser", "browser_version", "os", "os_version", "device_class", "is_bot",
	"locale", "screen_width", "screen_height", "time_zone",
	"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "properties",
}

// Shape is the row a per-message baseline writes.
type Shape int

const (
	// ShapeFull is Footprint's full event row (Columns).
	ShapeFull Shape = iota
	// ShapeLink is the original system's three columns: link, method, time.
	ShapeLink
)

// LinkColumns are the original system's columns: the page URL, the HTTP
// method and the event time.
var LinkColumns = []string{"link", "method", "time"}

func (s Shape) columns() []string {
	if s == ShapeLink {
		return LinkColumns
	}
	return Columns
}

func (s Shape) row(e *eventv1.Event, forClickHouse bool) []any {
	if s == ShapeLink {
		return LinkRow(e, forClickHouse)
	}
	return Row(e, forClickHouse)
}

// PostgresDDL returns the CREATE TABLE of a per-message baseline table of
// the given shape. The full row's event id is the primary key, so
// redelivery does not double count (ON CONFLICT DO NOTHING); the link row
// has no key, like the original's.
func PostgresDDL(table string, s Shape) string {
	if s == ShapeLink {
		return "CREATE TABLE IF NOT EXISTS " + table + " (link text NOT NULL, method text NOT NULL, time timestamptz NOT NULL)"
	}
	return fmt.Sprintf(postgresFullDDL, table)
}

// ClickHouseDDL returns the CREATE TABLE of db.table for the given shape.
func ClickHouseDDL(db, table string, s Shape) string {
	if s == ShapeLink {
		return "CREATE TABLE IF NOT EXISTS " + db + "." + table + " (link String, method String, time DateTime) ENGINE = MergeTree PARTITION BY toYYYYMM(time) ORDER BY time"
	}
	return fmt.Sprintf(clickHouseFullDDL, db+"."+table)
}

const postgresFullDDL = `CREATE TABLE IF NOT EXISTS %s (
  event_id uuid PRIMARY KEY, site_id text NOT NULL, name text NOT NULL,
  occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL,
  visitor_id text NOT NULL, user_id text NOT NULL, session_id text NOT NULL,
  url text NOT NULL, path text NOT NULL, title text NOT NULL, referrer text NOT NULL, referrer_host text NOT NULL,
  http_method text NOT NULL, http_status integer NOT NULL, duration_us bigint NOT NULL,
  user_agent text NOT NULL, browser text NOT NULL, browser_version text NOT NULL, os text NOT NULL,
  os_version text NOT NULL, device_class smallint NOT NULL, is_bot boolean NOT NULL,
  locale text NOT NULL, screen_width integer NOT NULL, screen_height integer NOT NULL, time_zone text NOT NULL,
  utm_source text NOT NULL, utm_medium text NOT NULL, utm_campaign text NOT NULL, utm_term text NOT NULL,
  utm_content text NOT NULL, properties jsonb NOT NULL)`

// clickHouseFullDDL is the same table for ClickHouse 18.16 (no
// LowCardinality, no JSON type: properties is a JSON string).
const clickHouseFullDDL = `CREATE TABLE IF NOT EXISTS %s (
  event_id String, site_id String, name String, occurred_at DateTime, received_at DateTime,
  visitor_id String, user_id String, session_id String,
  url String, path String, title String, referrer String, referrer_host String,
  http_method String, http_status UInt16, duration_us UInt64,
  user_agent String, browser String, browser_version String, os String, os_version String,
  device_class UInt8, is_bot UInt8, locale String, screen_width UInt32, screen_height UInt32, time_zone String,
  utm_source String, utm_medium String, utm_campaign String, utm_term String, utm_content String, properties String
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(occurred_at) ORDER BY (site_id, occurred_at, event_id)`

// Row flattens an event into the values of Columns. forClickHouse chooses
// the ClickHouse value types.
func Row(e *eventv1.Event, forClickHouse bool) []any {
	page, cl, utm, en := e.GetPage(), e.GetClient(), e.GetUtm(), e.GetEnrichment()
	props, _ := json.Marshal(e.GetProperties())
	occurred, received := e.GetOccurredAt().AsTime(), e.GetReceivedAt().AsTime()
	var isBot any = en.GetIsBot()
	var status any = int32(e.GetHttpStatus())
	var duration any = int64(e.GetDurationUs())
	var device any = int16(en.GetDeviceClass())
	var sw, sh any = int32(cl.GetScreenWidth()), int32(cl.GetScreenHeight())
	var properties any = string(props)
	if forClickHouse {
		b := uint8(0)
		if en.GetIsBot() {
			b = 1
		}
		isBot, status, duration, device = b, uint16(e.GetHttpStatus()), e.GetDurationUs(), uint8(en.GetDeviceClass())
		sw, sh = cl.GetScreenWidth(), cl.GetScreenHeight()
		occurred, received = occurred.Truncate(time.Second), received.Truncate(time.Second)
	}
	return []any{
		e.GetEventId(), e.GetSiteId(), e.GetName(), occurred, received, e.GetVisitorId(), e.GetUserId(), e.GetSessionId(),
		page.GetUrl(), page.GetPath(), page.GetTitle(), page.GetReferrer(), en.GetReferrerHost(), e.GetHttpMethod(), status, duration,
		cl.GetUserAgent(), en.GetBrowser(), en.GetBrowserVersion(), en.GetOs(), en.GetOsVersion(), device, isBot,
		cl.GetLocale(), sw, sh, cl.GetTimeZone(),
		utm.GetSource(), utm.GetMedium(), utm.GetCampaign(), utm.GetTerm(), utm.GetContent(), properties,
	}
}

// LinkRow is the original system's row: link (the page URL), method (the
// HTTP method) and time (when the event occurred).
func LinkRow(e *eventv1.Event, forClickHouse bool) []any {
	t := e.GetOccurredAt().AsTime()
	if forClickHouse {
		t = t.Truncate(time.Second)
	}
	return []any{e.GetPage().GetUrl(), e.GetHttpMethod(), t}
}
