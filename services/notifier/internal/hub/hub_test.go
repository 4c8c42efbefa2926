package hub

import (
	"testing"

	"github.com/footprint/footprint/services/notifier/internal/inbox"
)

func pending(s *Sub) bool {
	select {
	case <-s.C:
		return true
	default:
		return false
	}
}

// Signals go to the user's streams only, coalesce while unread, never
// block, and stop after Unregister; the gauge follows the streams.
func TestHubSignals(t *testing.T) {
	count := 0
	h := New(func(d int) { count += d })
	grace, ada := inbox.User{SiteID: "s", UserID: "grace"}, inbox.User{SiteID: "s", UserID: "ada"}
	g1, g2, a := h.Register(grace), h.Register(grace), h.Register(ada)
	if count != 3 {
		t.Fatalf("gauge %d, want 3", count)
	}
	h.Wake(grace)
	h.Wake(grace) // coalesces, does not block
	if !pending(g1) || !pending(g2) || pending(a) {
		t.Fatal("wake reached the wrong streams")
	}
	if pending(g1) {
		t.Fatal("two wakes left two signals")
	}
	h.WakeAll()
	if !pending(g1) || !pending(a) {
		t.Fatal("WakeAll missed a stream")
	}
	h.Unregister(g1)
	h.Unregister(g1) // twice is harmless
	h.Wake(grace)
	if pending(g1) || !pending(g2) {
		t.Fatal("an unregistered stream was signalled")
	}
	if count != 2 {
		t.Fatalf("gauge %d, want 2", count)
	}
}
