package erase

import (
	"testing"
	"time"

	"github.com/footprint/footprint/store/ops"
)

func TestRecordRoundTripsItsSubject(t *testing.T) {
	for _, subj := range []ops.Subject{{Site: "a", Kind: ops.Visitor, ID: "v"}, {Site: "a", Kind: ops.User, ID: "u"}} {
		r := NewRecord(subj, "op", time.Now())
		if SubjectOf(r) != subj {
			t.Errorf("record %+v gives subject %+v, want %+v", r, SubjectOf(r), subj)
		}
	}
}

func TestPassedNeedsEveryMarkedPartition(t *testing.T) {
	m := Mark{0: 10, 2: 5}
	for _, c := range []struct {
		committed map[int32]int64
		want      bool
	}{
		{map[int32]int64{0: 10, 2: 5}, true},
		{map[int32]int64{0: 11, 1: 0, 2: 7}, true},
		{map[int32]int64{0: 9, 2: 5}, false},
		{map[int32]int64{0: 10}, false},
		{nil, false},
	} {
		if got := passed(c.committed, m); got != c.want {
			t.Errorf("passed(%v, %v) = %v, want %v", c.committed, m, got, c.want)
		}
	}
	if !passed(nil, Mark{}) {
		t.Error("an empty mark is not passed")
	}
}
