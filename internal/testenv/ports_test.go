package testenv

import (
	"net"
	"strconv"
	"testing"
)

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
