// Package hub wakes Subscribe streams: each stream registers for one user
// and gets a signal (never data) when that user's inbox changed. A stream
// reads its changes from the inbox after every signal, so a signal that
// coalesces several changes, or arrives before the stream first reads,
// loses nothing.
package hub

import (
	"sync"

	"github.com/footprint/footprint/services/notifier/internal/inbox"
)

// Hub is the registry of subscribers. Safe for concurrent use.
type Hub struct {
	mu    sync.Mutex
	subs  map[inbox.User]map[*Sub]struct{}
	count func(delta int) // subscriber gauge
}

// Sub is one registered stream.
type Sub struct {
	// C receives a value when the user's inbox may have changed.
	C    chan struct{}
	user inbox.User
}

// New returns an empty hub; count (may be nil) follows the number of subscribers.
func New(count func(delta int)) *Hub {
	if count == nil {
		count = func(int) {}
	}
	return &Hub{subs: map[inbox.User]map[*Sub]struct{}{}, count: count}
}

// Register adds a stream for u; call Unregister when it ends.
func (h *Hub) Register(u inbox.User) *Sub {
	s := &Sub{C: make(chan struct{}, 1), user: u}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[u] == nil {
		h.subs[u] = map[*Sub]struct{}{}
	}
	h.subs[u][s] = struct{}{}
	h.count(1)
	return s
}

// Unregister removes s.
func (h *Hub) Unregister(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s.user][s]; !ok {
		return
	}
	delete(h.subs[s.user], s)
	if len(h.subs[s.user]) == 0 {
		delete(h.subs, s.user)
	}
	h.count(-1)
}

// Wake signals every stream of u.
func (h *Hub) Wake(u inbox.User) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[u] {
		signal(s)
	}
}

// WakeAll signals every stream (after a lost LISTEN connection).
func (h *Hub) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for s := range subs {
			signal(s)
		}
	}
}

// signal never blocks: a pending signal already covers this change.
func signal(s *Sub) {
	select {
	case s.C <- struct{}{}:
	default:
	}
}
