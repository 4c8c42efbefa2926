package webhook

import (
	"testing"
	"time"
)

// The backoff doubles per attempt up to the cap, and its jitter keeps it
// between half and all of that.
func TestBackoff(t *testing.T) {
	initial, maxWait := 100*time.Millisecond, 2*time.Second
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 6: 2 * time.Second, 40: 2 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(n, initial, maxWait)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d: %s outside [%s, %s]", n, d, base/2, base)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("attempt %d: no jitter", n)
		}
	}
}
