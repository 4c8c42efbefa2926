package erasure

import (
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/ops"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestSetErasedMatchesSubjectUpToTheErasure(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &Set{erased: map[string]time.Time{
		key(ops.Subject{Site: "a", Kind: ops.Visitor, ID: "v1"}): at,
		key(ops.Subject{Site: "a", Kind: ops.User, ID: "u1"}):    at,
	}}
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
		{"visitor after: new data", ev("a", "v1", "", at.Add(time.Second)), false},
		{"user under another visitor id", ev("a", "v9", "u1", at.Add(-time.Hour)), true},
		{"same visitor id, other site", ev("b", "v1", "", at.Add(-time.Hour)), false},
		{"other visitor", ev("a", "v2", "", at.Add(-time.Hour)), false},
		{"anonymous", ev("a", "", "", at.Add(-time.Hour)), false},
	} {
		if got := s.Erased(c.ev); got != c.want {
			t.Errorf("%s: Erased = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRecordRoundTripsItsSubject(t *testing.T) {
	for _, subj := range []ops.Subject{{Site: "a", Kind: ops.Visitor, ID: "v"}, {Site: "a", Kind: ops.User, ID: "u"}} {
		r := NewRecord(subj, "op", time.Now())
		if r.Subject() != subj {
			t.Errorf("record %+v gives subject %+v, want %+v", r, r.Subject(), subj)
		}
	}
}
