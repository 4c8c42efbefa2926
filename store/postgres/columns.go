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
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// column is one column of the events table: its name and type exactly as
// the migrations create them (format_type; TestColumnsMatchMigrations checks
// the table against the migrated database), the value an Event stores in it,
// and how the value read back sets the Event. The table (columns below) is
// the shared field list eventrow.Fields, each field typed by its kind in
// pgColumn; the COPY column list, the row and the read-back scan are all
// derived from it, in its order. A new event field is one entry in
// eventrow.Fields plus one migration here (and a case in pgColumn only for
// a new kind).
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

// columns is the events table, in the migrations' column order: one column
// per eventrow field, its SQL type given by the field's kind.
var columns = pgColumns(eventrow.Fields())

func pgColumns(fields []eventrow.Field) []column {
	cols := make([]column, len(fields))
	for i, f := range fields {
		cols[i] = pgColumn(f)
	}
	return cols
}

// pgColumn is the one place a kind of field gets its PostgreSQL type and
// conversion.
func pgColumn(f eventrow.Field) column {
	switch f.Kind {
	case eventrow.KindEventID:
		return scanned(f.Name, "uuid", eventID(f.String.Get),
			func(ev *eventv1.Event, v pgtype.UUID) error {
				f.String.Set(ev, uuid.UUID(v.Bytes).String())
				return nil
			})
	case eventrow.KindString:
		return text(f.Name, f.String.Get, f.String.Set)
	case eventrow.KindUint32:
		return bigint(f.Name, f.Uint32.Get, f.Uint32.Set)
	case eventrow.KindUint64:
		return bigint(f.Name, f.Uint64.Get, f.Uint64.Set)
	case eventrow.KindBool:
		return boolean(f.Name, f.Bool.Get, f.Bool.Set)
	case eventrow.KindTime:
		return timestamp(f.Name, f.Time.Get, f.Time.Set)
	case eventrow.KindProperties:
		return scanned(f.Name, "jsonb", propertiesJSON(f.Props.Get), setProperties(f.Props.Set))
	case eventrow.KindDeviceClass:
		return text(f.Name, func(ev *eventv1.Event) string { return eventrow.DeviceClassName(f.Device.Get(ev)) },
			func(ev *eventv1.Event, v string) { f.Device.Set(ev, eventrow.DeviceClassFromName(v)) })
	}
	// A kind without a mapping: TestColumnsMatchMigrations fails on the type.
	return text(f.Name, func(*eventv1.Event) string { return "" }, func(*eventv1.Event, string) {}).withType(fmt.Sprintf("unmapped kind %d", f.Kind))
}

// withType returns c with another SQL type.
func (c column) withType(typ string) column {
	c.Type = typ
	return c
}

// keyColumns are the event_keys columns, each also a column of events.
var keyColumns = []string{"event_id", "occurred_at"}

// keyTable is the event_keys columns' entries of the column table.
var keyTable = func() []column {
	out := make([]column, 0, len(keyColumns))
	for _, name := range keyColumns {
		for _, c := range columns {
			if c.Name == name {
				out = append(out, c)
			}
		}
	}
	return out
}()

// fillRow sets row (one value per column of table) to ev's values.
func fillRow(table []column, ev *eventv1.Event, row []any) error {
	for i, c := range table {
		v, err := c.value(ev)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		row[i] = v
	}
	return nil
}

// toRow is the COPY row of an event.
func toRow(ev *eventv1.Event) ([]any, error) {
	row := make([]any, len(columns))
	return row, fillRow(columns, ev, row)
}

// copySource is a COPY of table's columns for events that converts one
// event at a time into one reused row (pgx encodes each row before it
// asks for the next), so a batch never exists twice in memory as rows. A
// conversion error ends the COPY and is kept in *failed.
func copySource(table []column, events []*eventv1.Event, failed *error) pgx.CopyFromSource {
	row, next := make([]any, len(table)), 0
	return pgx.CopyFromFunc(func() ([]any, error) {
		if next == len(events) {
			return nil, nil
		}
		ev := events[next]
		next++
		if err := fillRow(table, ev, row); err != nil {
			*failed = fmt.Errorf("event %s: %w", ev.GetEventId(), err)
			return nil, *failed
		}
		return row, nil
	})
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
func eventID(get func(*eventv1.Event) string) func(*eventv1.Event) (any, error) {
	return func(ev *eventv1.Event) (any, error) {
		id, err := eventcheck.ParseEventID(get(ev))
		if err != nil {
			return nil, err
		}
		return pgtype.UUID{Bytes: id, Valid: true}, nil
	}
}

// propertiesJSON is the properties as a JSON object (NUL characters
// removed from keys and values).
func propertiesJSON(get func(*eventv1.Event) map[string]string) func(*eventv1.Event) (any, error) {
	return func(ev *eventv1.Event) (any, error) {
		props := make(map[string]string, len(get(ev)))
		for k, v := range get(ev) {
			props[clean(k)] = clean(v)
		}
		b, err := json.Marshal(props)
		if err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
		return string(b), nil
	}
}

// setProperties reads the JSON object back; an empty one leaves the map nil,
// as protobuf does.
func setProperties(set func(*eventv1.Event, map[string]string)) func(*eventv1.Event, []byte) error {
	return func(ev *eventv1.Event, raw []byte) error {
		var props map[string]string
		if err := json.Unmarshal(raw, &props); err != nil {
			return fmt.Errorf("properties: %w", err)
		}
		if len(props) > 0 {
			set(ev, props)
		}
		return nil
	}
}
