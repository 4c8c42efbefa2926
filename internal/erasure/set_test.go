package erasure

import (
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestSetErasedMatchesSubjectWheneverItOccurred(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewSet()
	s.Add(Record{Site: "a", Visitor: "v1", ErasedAt: at, Operator: "op"})
	s.Add(Record{Site: "a", User: "u1", ErasedAt: at, Operator: "op"})
	ev := func(site, visitor, user string, when time.Time) *eventv1.Event {
		return &eventv1.Event{SiteId: site, VisitorId: visitor, UserId: user, OccurredAt: timestamppb.New(when)}
	}
	for _, c := range []struct {
		name string
		ev   *eventv1.Event
		want bool
	}{
		{"visitor before", ev("a", "v1", "", at.Add(-time.Hour)), true},
		{"visitor at the erasure", ev("a", "v1", "", at), true},
		{"visitor after: still erased (final, clock-free)", ev("a", "v1", "", at.Add(time.Hour)), true},
		{"user under another visitor id", ev("a", "v9", "u1", at.Add(-time.Hour)), true},
		{"same visitor id, other site", ev("b", "v1", "", at.Add(-time.Hour)), false},
		{"visitor id equal to an erased user id", ev("a", "u1", "", at), false},
		{"other visitor", ev("a", "v2", "", at.Add(-time.Hour)), false},
		{"anonymous", ev("a", "", "", at.Add(-time.Hour)), false},
	} {
		if got := s.Erased(c.ev); got != c.want {
			t.Errorf("%s: Erased = %v, want %v", c.name, got, c.want)
		}
	}
	if s.Len() != 2 {
		t.Errorf("Len = %d, want 2", s.Len())
	}
}

func TestSetKeepsOneEntryPerSubject(t *testing.T) {
	s := NewSet()
	at := time.Now()
	s.Add(Record{Site: "a", Visitor: "v", ErasedAt: at})
	s.Add(Record{Site: "a", Visitor: "v", ErasedAt: at.Add(-time.Hour)})
	s.Add(Record{Site: "a", Visitor: "v", ErasedAt: at.Add(time.Hour)})
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
}

func TestDecodeRefusesRecordsWithoutSubject(t *testing.T) {
	for _, v := range []string{`{}`, `{"site":"a"}`, `{"visitor":"v"}`, `not json`} {
		if _, err := Decode([]byte(v)); err == nil {
			t.Errorf("Decode(%s): no error", v)
		}
	}
	r, err := Decode([]byte(`{"site":"a","user":"u","operator":"op","erased_at":"2026-03-01T12:00:00Z"}`))
	if err != nil || r.Kind() != KindUser || r.ID() != "u" || r.Key() != Key(KindUser, "a", "u") {
		t.Fatalf("Decode = %+v, %v; want user u of site a", r, err)
	}
}
