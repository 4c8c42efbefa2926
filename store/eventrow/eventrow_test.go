package eventrow

import (
	"testing"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

func TestDeviceClassNameRoundTrip(t *testing.T) {
	for v := range eventv1.DeviceClass_name {
		d := eventv1.DeviceClass(v)
		if got := DeviceClassFromName(DeviceClassName(d)); got != d {
			t.Errorf("%v -> %q -> %v", d, DeviceClassName(d), got)
		}
	}
	if got := DeviceClassName(eventv1.DeviceClass(99)); got != "unspecified" {
		t.Errorf("unknown device class stored as %q, want unspecified", got)
	}
	if got := DeviceClassName(eventv1.DeviceClass_DEVICE_CLASS_MOBILE); got != "mobile" {
		t.Errorf("mobile stored as %q", got)
	}
}

func TestKeepFirst(t *testing.T) {
	ev := func(id, name string) *eventv1.Event { return &eventv1.Event{EventId: id, Name: name} }
	a1, b, a2, c, b2 := ev("a", "first"), ev("b", "first"), ev("a", "second"), ev("c", "first"), ev("b", "second")
	got := KeepFirst([]*eventv1.Event{a1, b, a2, c, b2})
	if len(got) != 3 || got[0] != a1 || got[1] != b || got[2] != c {
		t.Fatalf("KeepFirst kept %v", got)
	}
	distinct := []*eventv1.Event{a1, b, c}
	if got := KeepFirst(distinct); &got[0] != &distinct[0] || len(got) != 3 {
		t.Fatalf("no repeats: want the same slice back, got %v", got)
	}
}

func TestColumnDiff(t *testing.T) {
	declared := []Column{{"event_id", "uuid"}, {"name", "text"}}
	if d := ColumnDiff(declared, declared); len(d) != 0 {
		t.Fatalf("same columns: %v", d)
	}
	if d := ColumnDiff([]Column{{"event_id", "uuid"}, {"name", "varchar"}, {"extra", "text"}}, declared); len(d) != 2 {
		t.Fatalf("a changed type and an extra column: %v", d)
	}
}
