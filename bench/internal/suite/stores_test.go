package suite

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore makes an id visible a fixed delay after it was added.
type fakeStore struct {
	mu      sync.Mutex
	visible map[string]time.Time
}

func (f *fakeStore) Name() string                         { return "fake" }
func (f *fakeStore) Count(context.Context) (int64, error) { return 0, nil }

func (f *fakeStore) Visible(_ context.Context, ids []string, _ time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range ids {
		if at, ok := f.visible[id]; ok && time.Now().After(at) {
			out = append(out, id)
		}
	}
	return out, nil
}

func TestPollerMeasuresAckToVisible(t *testing.T) {
	st := &fakeStore{visible: map[string]time.Time{}}
	p := newPoller(st, time.Now(), 5*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	now := time.Now()
	st.mu.Lock()
	st.visible["a"] = now.Add(50 * time.Millisecond)
	st.visible["b"] = now.Add(100 * time.Millisecond)
	st.mu.Unlock()
	p.Add("a", now)
	p.Add("b", now)
	p.Add("never", now)
	deadline := time.Now().Add(5 * time.Second)
	for p.Pending() > 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling the condition, not synchronising
	}
	cancel()
	lat, missing, err := p.Result()
	if err != nil || missing != 1 || len(lat) != 2 {
		t.Fatalf("latencies %v, missing %d, err %v", lat, missing, err)
	}
	for i, want := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond} {
		if lat[i] < want || lat[i] > want+time.Second {
			t.Errorf("latency %d = %v, want a little over %v", i, lat[i], want)
		}
	}
}

// hangingCounter never answers, like ClickHouse 18.16's uniqExact once did,
// and ignores its context.
type hangingCounter struct{ release chan struct{} }

func (h hangingCounter) Counts(context.Context) (int64, int64, error) {
	<-h.release
	return 0, 0, nil
}

func (h hangingCounter) StoredIDs(context.Context, []string) ([]string, error) { return nil, nil }

func TestCountTimesOutOnAHangingStore(t *testing.T) {
	h := hangingCounter{release: make(chan struct{})}
	defer close(h.release)
	st := packageStore{name: "clickhouse", s: h, timeout: 50 * time.Millisecond}
	began := time.Now()
	_, err := st.Count(context.Background())
	if !errors.Is(err, ErrCountTimeout) || !strings.Contains(err.Error(), "clickhouse") {
		t.Fatalf("Count = %v, want ErrCountTimeout naming the store", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Count returned after %v, want about the 50 ms timeout", d)
	}
}

func TestCountPassesAnswers(t *testing.T) {
	n, err := boundedCount(context.Background(), "x", time.Second, func(context.Context) (int64, error) { return 42, nil })
	if n != 42 || err != nil {
		t.Errorf("boundedCount = %d, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := boundedCount(ctx, "x", time.Second, func(ctx context.Context) (int64, error) { <-ctx.Done(); return 0, ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want context.Canceled (not a timeout)", err)
	}
}
