package suite

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/footprint/footprint/bench/internal/report"
)

func TestInterleaveOrder(t *testing.T) {
	var got []string
	rec := func(name string) step {
		return step{name: name, run: func(_ context.Context, round int) error {
			got = append(got, name+string(rune('0'+round)))
			if name == "cand" && round == 1 {
				return errors.New("boom")
			}
			return nil
		}}
	}
	err := interleave(context.Background(), 3, []step{rec("base"), rec("cand")}, nil)
	want := []string{"base0", "cand0", "base1", "cand1", "base2", "cand2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if err == nil || err.Error() != "cand (run 2 of 3): boom" {
		t.Errorf("err = %v, want the failing step named with its run", err)
	}
}

func TestInterleaveStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := interleave(ctx, 3, []step{{name: "a", run: func(context.Context, int) error { n++; cancel(); return nil }}}, nil)
	if n != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("ran %d times, err %v; want 1 and context.Canceled", n, err)
	}
}

func TestSeriesMedians(t *testing.T) {
	s := newSeries()
	for _, r := range []int64{300, 100, 200} {
		s.add("cand", report.KindFootprint, "events/s", report.NewRun(r, time.Second))
		s.add("base", report.KindBaseline, "events/s", report.NewRun(r*2, time.Second))
	}
	s.note("base", "sample")
	ms := s.measurements()
	if len(ms) != 2 || ms[0].Name != "cand" || ms[1].Name != "base" {
		t.Fatalf("measurements: %+v", ms)
	}
	if ms[0].Rate != 200 || ms[0].MinRate != 100 || ms[0].MaxRate != 300 || len(ms[0].Runs) != 3 {
		t.Errorf("cand = %+v, want median 200 (100-300) of 3 runs", ms[0])
	}
	if ms[1].Rate != 400 || ms[1].Note != "sample" || ms[1].Kind != report.KindBaseline {
		t.Errorf("base = %+v", ms[1])
	}
}

func TestShapeOrderAlternates(t *testing.T) {
	if a, b := shapeOrder(0), shapeOrder(1); a[0] == b[0] || a[1] != b[0] || len(a) != 2 || len(b) != 2 {
		t.Errorf("round 0 %v, round 1 %v: want both variants, swapped", a, b)
	}
	if a, c := shapeOrder(0), shapeOrder(2); !reflect.DeepEqual(a, c) {
		t.Errorf("round 2 %v, want round 0's order %v", c, a)
	}
}
