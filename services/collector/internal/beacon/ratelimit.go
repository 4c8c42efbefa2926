package beacon

import (
	"sync"
	"time"
)

// limiter is a set of token buckets, one per key, holding at most maxKeys
// buckets. A bucket holds up to burst tokens and gains rate tokens a second;
// each event takes one.
type limiter struct {
	rate, burst float64
	maxKeys     int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst, maxKeys int) *limiter {
	return &limiter{rate: float64(rate), burst: float64(burst), maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// allow takes a token of key's bucket; when there is none it returns false and
// how long until there will be one.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// makeRoom keeps the map bounded: when it is full, buckets that have refilled
// (they behave exactly like a new bucket) are forgotten; if every bucket is
// still draining, all are forgotten. Emptying costs nothing but a burst of
// leniency, and the per-site bucket still bounds the total.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxKeys {
		return
	}
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxKeys {
		clear(l.buckets)
	}
}

// size is the number of remembered keys.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
