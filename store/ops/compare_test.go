package ops

import (
	"context"
	"testing"
	"time"
)

// fake is a store holding ids per (day, name); its checksum is a plain sum
// of the ids' positions, enough for the comparison logic.
type fake map[DayTally][]string

func (f fake) DayTallies(context.Context, string, time.Time, time.Time) ([]DayTally, error) {
	var out []DayTally
	for k, ids := range f {
		out = append(out, DayTally{Day: k.Day, Name: k.Name, Events: int64(len(ids)), Checksum: uint64(len(ids)) * 7})
	}
	return out, nil
}

func (f fake) DayEventIDs(_ context.Context, _ string, day time.Time, name string) ([]string, error) {
	return f[DayTally{Day: day, Name: name}], nil
}

func TestCheckFindsDifferingGroupsAndSamples(t *testing.T) {
	d1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 0, 1)
	pv1, pv2, su2 := DayTally{Day: d1, Name: "page_view"}, DayTally{Day: d2, Name: "page_view"}, DayTally{Day: d2, Name: "signup"}
	pg := fake{pv1: {"a", "b"}, pv2: {"c", "d", "e"}, su2: {"f"}}
	ch := fake{pv1: {"a", "b"}, pv2: {"c", "e"}, su2: {"f", "g"}}
	rep, err := Check(context.Background(), pg, ch, "s", d1, d2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree() || rep.MismatchedDays() != 1 || len(rep.Rows) != 3 {
		t.Fatalf("agree %v, mismatched days %d, rows %d; want false, 1, 3", rep.Agree(), rep.MismatchedDays(), len(rep.Rows))
	}
	if !rep.Rows[0].Equal() || rep.Rows[1].Equal() || rep.Rows[2].Equal() {
		t.Fatalf("rows %+v: want day 1 equal, both groups of day 2 different", rep.Rows)
	}
	want := []Sample{{ID: "d", Name: "page_view", Day: d2, OnlyIn: "postgres"}, {ID: "g", Name: "signup", Day: d2, OnlyIn: "clickhouse"}}
	if len(rep.Samples) != len(want) || rep.Samples[0] != want[0] || rep.Samples[1] != want[1] {
		t.Fatalf("samples %+v, want %+v", rep.Samples, want)
	}
	rep, _ = Check(context.Background(), pg, ch, "s", d1, d2, 1)
	if len(rep.Samples) != 1 {
		t.Fatalf("%d samples with a limit of 1", len(rep.Samples))
	}
	rep, _ = Check(context.Background(), pg, pg, "s", d1, d2, 10)
	if !rep.Agree() || len(rep.Samples) != 0 {
		t.Fatalf("a store against itself: agree %v, %d samples", rep.Agree(), len(rep.Samples))
	}
}

func TestSubjectValidate(t *testing.T) {
	for _, s := range []Subject{{Kind: Visitor, ID: "v"}, {Site: "s", Kind: User}, {Site: "s", ID: "v"}} {
		if s.Validate() == nil {
			t.Errorf("%+v: want an error", s)
		}
	}
	if err := (Subject{Site: "s", Kind: User, ID: "u"}).Validate(); err != nil {
		t.Errorf("complete subject: %v", err)
	}
}
