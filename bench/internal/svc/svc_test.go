package svc

import (
	"net"
	"strconv"
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

// TestFreePortOutsideEphemeralRange: the ports are listenable and outside
// the kernel's ephemeral range, where outgoing connections take theirs.
func TestFreePortOutsideEphemeralRange(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		addr, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < freePortLow || n >= freePortHigh {
			t.Fatalf("FreePort() = %s, want a port in [%d, %d)", addr, freePortLow, freePortHigh)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("FreePort() = %s, not listenable: %v", addr, err)
		}
		_ = l.Close()
		seen[addr] = true
	}
	if len(seen) < 40 {
		t.Errorf("50 calls gave only %d distinct ports", len(seen))
	}
}
