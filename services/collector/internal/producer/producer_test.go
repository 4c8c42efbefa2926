package producer

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	err := Config{Compression: "brotli", Linger: 2 * time.Second}.Validate()
	for _, want := range []error{
		ErrBrokersRequired, ErrTopicRequired, ErrCompression, ErrLinger, ErrQueueMessages,
		ErrQueueKBytes, ErrMessageTimeout, ErrAckTimeout, ErrReadinessTimeout,
	} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
}

// TestAckContext: the wait ends before the caller's deadline, so the
// Unavailable answer reaches the client in time, and never later than AckTimeout.
func TestAckContext(t *testing.T) {
	p := &Producer{cfg: Config{AckTimeout: 10 * time.Second}}
	cases := []struct {
		name       string
		callerWait time.Duration // 0: no deadline
		wantMin    time.Duration
		wantMax    time.Duration
	}{
		{"no deadline: ack timeout", 0, 9 * time.Second, 10 * time.Second},
		{"1s deadline: 10% margin", time.Second, 850 * time.Millisecond, 900 * time.Millisecond},
		{"3s deadline: margin capped at 250ms", 3 * time.Second, 2700 * time.Millisecond, 2750 * time.Millisecond},
		{"60s deadline: ack timeout wins", time.Minute, 9 * time.Second, 10 * time.Second},
		{"20ms deadline: at least 5ms margin", 20 * time.Millisecond, 0, 15 * time.Millisecond},
	}
	for _, tc := range cases {
		ctx := context.Background()
		if tc.callerWait > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tc.callerWait)
			defer cancel()
		}
		ackCtx, cancel := p.ackContext(ctx)
		dl, ok := ackCtx.Deadline()
		cancel()
		if !ok {
			t.Fatalf("%s: no deadline", tc.name)
		}
		if left := time.Until(dl); left < tc.wantMin || left > tc.wantMax {
			t.Errorf("%s: %s left, want %s..%s", tc.name, left, tc.wantMin, tc.wantMax)
		}
	}
}
