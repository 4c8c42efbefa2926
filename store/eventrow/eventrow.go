// Package eventrow holds what both stores do alike when they turn an Event
// into a row and back: the stored name of a device class, the shape of an
// event read back, and which copy of an event_id a batch keeps.
package eventrow

import (
	"fmt"
	"strings"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

const deviceClassPrefix = "DEVICE_CLASS_"

// DeviceClassName is the lower-case short name both stores keep ("desktop",
// "mobile", ...). A value this build does not know is stored as
// "unspecified": ClickHouse's Enum8 could not hold it, and both stores must
// keep the same.
func DeviceClassName(d eventv1.DeviceClass) string {
	if _, ok := eventv1.DeviceClass_name[int32(d)]; !ok {
		d = eventv1.DeviceClass_DEVICE_CLASS_UNSPECIFIED
	}
	return strings.ToLower(strings.TrimPrefix(d.String(), deviceClassPrefix))
}

// DeviceClassFromName is the inverse of DeviceClassName (unknown names give
// DEVICE_CLASS_UNSPECIFIED).
func DeviceClassFromName(s string) eventv1.DeviceClass {
	return eventv1.DeviceClass(eventv1.DeviceClass_value[deviceClassPrefix+strings.ToUpper(s)])
}

// Empty returns the event a read-back fills: every sub-message present,
// since a store cannot tell an empty sub-message from a missing one.
func Empty() *eventv1.Event {
	return &eventv1.Event{Page: &eventv1.Page{}, Client: &eventv1.ClientContext{}, Utm: &eventv1.Utm{}, Enrichment: &eventv1.Enrichment{}}
}

// KeepFirst returns events without the later copies of an event_id, in
// order. event_id is an event's identity in both stores, and the first copy
// in Kafka partition order (which every writer sees alike) is the one both
// keep; within a batch that is the first occurrence. It returns events
// itself when there is no repeat (the common case allocates only the set).
func KeepFirst(events []*eventv1.Event) []*eventv1.Event {
	seen := make(map[string]struct{}, len(events))
	var out []*eventv1.Event
	for i, ev := range events {
		// Both stores parse the id, so its case is not part of it.
		id := strings.ToLower(ev.GetEventId())
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			if out != nil {
				out = append(out, ev)
			}
			continue
		}
		if out == nil {
			out = append(make([]*eventv1.Event, 0, len(events)), events[:i]...)
		}
	}
	if out == nil {
		return events
	}
	return out
}

// Column is a column's name and type, as a store's column table declares
// it (each store's column embeds one) and as the database reports it.
type Column struct{ Name, Type string }

// Declared is a column of a store's column table.
type Declared interface{ Declaration() Column }

// Declaration is the column's name and type.
func (c Column) Declaration() Column { return c }

// Declarations returns the names and types of a column table, in order.
func Declarations[C Declared](table []C) []Column {
	out := make([]Column, len(table))
	for i, c := range table {
		out[i] = c.Declaration()
	}
	return out
}

// Names returns the column names of a column table, in order: the column
// list of a COPY, an INSERT or a SELECT.
func Names[C Declared](table []C) []string {
	out := make([]string, len(table))
	for i, c := range table {
		out[i] = c.Declaration().Name
	}
	return out
}

// ColumnDiff lists how the migrated columns (as the database reports them,
// in order) differ from the declared ones (a store's column table): empty
// when they are the same. Each store's tests check its table with it.
func ColumnDiff(migrated, declared []Column) []string {
	var diffs []string
	if len(migrated) != len(declared) {
		diffs = append(diffs, fmt.Sprintf("migrations create %d columns, the column table has %d", len(migrated), len(declared)))
	}
	for i := range min(len(migrated), len(declared)) {
		if migrated[i] != declared[i] {
			diffs = append(diffs, fmt.Sprintf("column %d: migrated %v, column table %v", i+1, migrated[i], declared[i]))
		}
	}
	return diffs
}
