package clickhouse

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/eventrow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// column is one column of the events table: its name and type exactly as
// the migrations create them (system.columns; TestColumnsMatchMigrations
// checks the table against the migrated database), the value an Event
// appends to it, and how the value read back sets the Event. The table
// (columns below) is the shared field list eventrow.Fields, each field
// typed by its kind in chColumn (a timestamp and the properties take two
// columns); the INSERT column list, the Append row and the read-back scan
// are all derived from it, in its order. A new event field is one entry in
// eventrow.Fields plus one migration here (and a case in chColumn only for
// a new kind).
type column struct {
	eventrow.Column // name and SQL type
	// selectExpr reads the column back when the driver cannot scan it
	// as is (UUID and Enum8 are read as strings); empty means the name.
	selectExpr string
	// values returns the column of a batch: one typed slice (what the
	// driver's column-wise Append takes) with every event's value.
	values func([]*eventv1.Event) any
	// read returns the Scan destination for an event made by
	// eventrow.Empty and the step that moves the scanned value into it;
	// the steps run in column order and may share the row's scratch.
	read func(*eventv1.Event, *scratch) (dest any, apply func())
}

// scratch carries what one column's read-back leaves for a later one (the
// property keys for the property values).
type scratch struct{ propertyKeys []string }

// typed builds a column of T values: value is an event's, and the
// read-back scans a T and hands it to set.
func typed[T any](name, typ string, value func(*eventv1.Event) T, set func(*eventv1.Event, *scratch, T)) column {
	return column{Column: eventrow.Column{Name: name, Type: typ}, values: valuesOf(value), read: func(ev *eventv1.Event, sc *scratch) (any, func()) {
		v := new(T)
		return v, func() { set(ev, sc, *v) }
	}}
}

// valuesOf returns the column of a batch of events.
func valuesOf[T any](value func(*eventv1.Event) T) func([]*eventv1.Event) any {
	return func(evs []*eventv1.Event) any {
		out := make([]T, len(evs))
		for i, ev := range evs {
			out[i] = value(ev)
		}
		return out
	}
}

// str is a String column of a string field.
func str(name string, get func(*eventv1.Event) string, set func(*eventv1.Event, string)) column {
	return typed(name, "String", get, func(ev *eventv1.Event, _ *scratch, v string) { set(ev, v) })
}

// unsigned is a UInt32 or UInt64 column of a field of the same width.
func unsigned[U uint32 | uint64](name, typ string, get func(*eventv1.Event) U, set func(*eventv1.Event, U)) column {
	return typed(name, typ, get, func(ev *eventv1.Event, _ *scratch, v U) { set(ev, v) })
}

// flag is a UInt8 0/1 column of a bool field (18.16 has no Bool type).
func flag(name string, get func(*eventv1.Event) bool, set func(*eventv1.Event, bool)) column {
	return typed(name, "UInt8", func(ev *eventv1.Event) uint8 {
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
			func(ev *eventv1.Event) time.Time { return time.Unix(get(ev).GetSeconds(), 0).UTC() },
			func(ev *eventv1.Event, _ *scratch, v time.Time) { set(ev, &timestamppb.Timestamp{Seconds: v.Unix()}) }),
		typed(name+"_ns", "UInt32",
			func(ev *eventv1.Event) uint32 { return uint32(get(ev).GetNanos()) },
			func(ev *eventv1.Event, _ *scratch, v uint32) { get(ev).Nanos = int32(v) }),
	}
}

// deviceClassType is the Enum8 of eventrow.DeviceClassName's names.
const deviceClassType = "Enum8('unspecified' = 0, 'desktop' = 1, 'mobile' = 2, 'tablet' = 3, 'bot' = 4, 'other' = 5)"

// columns is the events table, in the migrations' column order: the
// column(s) of every eventrow field, typed by its kind.
var columns = chColumns(eventrow.Fields())

func chColumns(fields []eventrow.Field) []column {
	var cols []column
	for _, f := range fields {
		cols = append(cols, chColumn(f)...)
	}
	return cols
}

// chColumn is the one place a kind of field gets its ClickHouse type(s) and
// conversion.
func chColumn(f eventrow.Field) []column {
	switch f.Kind {
	case eventrow.KindEventID:
		return []column{{Column: eventrow.Column{Name: f.Name, Type: "UUID"}, selectExpr: "toString(" + f.Name + ")",
			values: valuesOf(f.String.Get),
			read: func(ev *eventv1.Event, _ *scratch) (any, func()) {
				v := new(string)
				return v, func() { f.String.Set(ev, *v) }
			}}}
	case eventrow.KindString:
		return []column{str(f.Name, f.String.Get, f.String.Set)}
	case eventrow.KindUint32:
		return []column{unsigned(f.Name, "UInt32", f.Uint32.Get, f.Uint32.Set)}
	case eventrow.KindUint64:
		return []column{unsigned(f.Name, "UInt64", f.Uint64.Get, f.Uint64.Set)}
	case eventrow.KindBool:
		return []column{flag(f.Name, f.Bool.Get, f.Bool.Set)}
	case eventrow.KindTime:
		return timestamp(f.Name, f.Time.Get, f.Time.Set)
	case eventrow.KindProperties:
		return properties(f.Name, f.Props)
	case eventrow.KindDeviceClass:
		return []column{{Column: eventrow.Column{Name: f.Name, Type: deviceClassType}, selectExpr: "toString(" + f.Name + ")",
			values: valuesOf(func(ev *eventv1.Event) string { return eventrow.DeviceClassName(f.Device.Get(ev)) }),
			read: func(ev *eventv1.Event, _ *scratch) (any, func()) {
				v := new(string)
				return v, func() { f.Device.Set(ev, eventrow.DeviceClassFromName(*v)) }
			}}}
	}
	// A kind without a mapping: TestColumnsMatchMigrations fails on the type.
	return []column{typed(f.Name, fmt.Sprintf("unmapped kind %d", f.Kind), func(*eventv1.Event) string { return "" }, func(*eventv1.Event, *scratch, string) {})}
}

// properties is two arrays instead of Map (not in 18.16): the keys sorted,
// so equal property sets give equal rows, and the values in that order.
func properties(name string, props eventrow.Access[map[string]string]) []column {
	return []column{
		typed(name+"_keys", "Array(String)", func(ev *eventv1.Event) []string { return propertyKeys(props.Get(ev)) },
			func(_ *eventv1.Event, sc *scratch, keys []string) { sc.propertyKeys = keys }),
		typed(name+"_values", "Array(String)", func(ev *eventv1.Event) []string {
			m := props.Get(ev)
			keys := propertyKeys(m)
			vals := make([]string, len(keys))
			for i, k := range keys {
				vals[i] = m[k]
			}
			return vals
		}, func(ev *eventv1.Event, sc *scratch, vals []string) {
			if len(sc.propertyKeys) == 0 {
				return
			}
			m := make(map[string]string, len(sc.propertyKeys))
			for i, k := range sc.propertyKeys {
				m[k] = vals[i]
			}
			props.Set(ev, m)
		}),
	}
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

// keyTable is the columns the writer appends to the key table (KeysTable):
// entries of the events' column table, declared alike and in the same order
// (the table's id_prefix is MATERIALIZED: the server computes it).
var keyTable = func() []column {
	var out []column
	for _, c := range columns {
		if c.Name == "event_id" || c.Name == "occurred_at" {
			out = append(out, c)
		}
	}
	return out
}()

// blockRows is how many rows go into one native data block of an INSERT.
// A batch is sent as several blocks of one INSERT (still one part: the
// server squashes the blocks of an INSERT up to min_insert_block_size_rows,
// a million rows by default). The driver's columns cannot be sized ahead
// and grow by appends, 1.25x at a time, so a batch built as one block
// allocated about five times its size on every batch: 37% of the
// ch-writer's allocations. Flushing a block resets the columns but keeps
// their capacity, so the batch's later blocks reuse it. 1024 rows allocate
// less and keep a block's events in the CPU cache while its 40 columns are
// filled one after the other (fewer garbage collections and less CPU per
// event than 4096 in the same run; see the commit).
const blockRows = 1024

// appendColumns appends the events to batch column by column, in the
// order of table (one typed slice per column: no per-value boxing, no
// per-row conversion in the driver), blockRows rows at a time, each block
// flushed to the server.
func appendColumns(batch driver.Batch, table []column, events []*eventv1.Event) error {
	for lo := 0; lo < len(events); lo += blockRows {
		block := events[lo:min(lo+blockRows, len(events))]
		for i, c := range table {
			if err := batch.Column(i).Append(c.values(block)); err != nil {
				return fmt.Errorf("%w: column %s: %w", errAppend, c.Name, err)
			}
		}
		if err := batch.Flush(); err != nil {
			return fmt.Errorf("send block: %w", err)
		}
	}
	return nil
}

// errAppend marks a value the driver could not convert (the data's fault),
// as opposed to a failed send of a block (the connection's).
var errAppend = errors.New("append")

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

func propertyKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
