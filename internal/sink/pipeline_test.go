package sink

import (
	"context"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// blockingStore is a fakeStore whose first write waits until release is
// closed.
type blockingStore struct {
	*fakeStore
	release chan struct{}
	first   chan struct{} // closed when the first write began
}

func (s *blockingStore) WriteBatch(ctx context.Context, evs []*eventv1.Event) error {
	select {
	case <-s.first:
	default:
		close(s.first)
		<-s.release
	}
	return s.fakeStore.WriteBatch(ctx, evs)
}

// While a batch is being written, the loop polls and decodes the next one,
// but no more than one batch ahead; nothing is committed before its write,
// and every event is stored once the store answers.
func TestNextBatchPolledWhileWriting(t *testing.T) {
	brokers := newCluster(t)
	store := &blockingStore{fakeStore: newFakeStore(), release: make(chan struct{}), first: make(chan struct{})}
	const n, batchMax = 300, 100
	values := make([][]byte, n)
	for i := range values {
		values[i] = mustMarshal(t, event(uuid4()))
	}
	produce(t, brokers, 0, values...) // one partition: positions are exact
	r := start(t, brokers, store, func(c *Config) { c.BatchMaxEvents = batchMax; c.BatchMaxWait = time.Minute })
	<-store.first
	position := func() int64 {
		parts, err := r.loop.consumer.Assignment()
		if err != nil {
			return -1
		}
		parts, err = r.loop.consumer.Position(parts)
		if err != nil {
			return -1
		}
		total := int64(0)
		for _, p := range parts {
			total += max(int64(p.Offset), 0)
		}
		return total
	}
	eventually(t, 30*time.Second, "the next batch polled during the write", func() bool { return position() >= 2*batchMax })
	if p := position(); p != 2*batchMax {
		t.Fatalf("polled up to offset %d during the first write, want %d (one batch ahead, no more)", p, 2*batchMax)
	}
	if c := sum(committed(t, brokers, r.loop.cfg.Group)); c != 0 {
		t.Fatalf("%d offsets committed before the first write ended", c)
	}
	close(store.release)
	eventually(t, 30*time.Second, "all events stored and committed", func() bool {
		d, _, _ := store.snapshot()
		return d == n && sum(committed(t, brokers, r.loop.cfg.Group)) == n
	})
	if _, batches, _ := store.snapshot(); len(batches) != n/batchMax {
		t.Errorf("batches %v, want %d of %d", batches, n/batchMax, batchMax)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
}
