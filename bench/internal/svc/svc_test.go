package svc

import (
	"testing"
)

func TestSumMetric(t *testing.T) {
	text := `# HELP footprint_pg_writer_lag messages behind
# TYPE footprint_pg_writer_lag gauge
footprint_pg_writer_lag{partition="0"} 5
footprint_pg_writer_lag{partition="1"} 7
footprint_pg_writer_lag_other 100
footprint_pg_writer_written_total 42
`
	v, ok, err := SumMetric(text, "footprint_pg_writer_lag")
	if err != nil || !ok || v != 12 {
		t.Fatalf("lag = %v %v %v", v, ok, err)
	}
	v, ok, err = SumMetric(text, "footprint_pg_writer_written_total")
	if err != nil || !ok || v != 42 {
		t.Fatalf("written = %v %v %v", v, ok, err)
	}
	if _, ok, _ := SumMetric(text, "missing"); ok {
		t.Fatal("found a missing metric")
	}
}

func TestInfraUsageDoesNotFail(t *testing.T) {
	// The stack may or may not run here; the call must simply not fail.
	for name, u := range InfraUsage() {
		if u.CPUSeconds < 0 {
			t.Errorf("%s: %+v", name, u)
		}
	}
}
