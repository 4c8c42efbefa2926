package sink

import (
	"context"
	"time"
)

// While the store fails, the loop pauses its partitions and keeps polling
// (group membership, rebalances) between retries of the batch.

// wait keeps the consumer polled (group membership, rebalances) for d while
// the partitions are paused. Messages polled meanwhile (already prefetched
// before the pause took effect) are kept for after the batch, in order.
func (l *Loop) wait(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if ctx.Err() != nil && l.shutdownDeadline.IsZero() {
			l.shutdownDeadline = time.Now().Add(l.cfg.ShutdownTimeout)
		}
		if !l.shutdownDeadline.IsZero() && time.Now().After(l.shutdownDeadline) {
			return ErrShutdownTimeout
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		if err := l.pollAside(min(left, 100*time.Millisecond) + time.Millisecond); err != nil {
			return err
		}
		if l.dropped {
			return nil
		}
	}
}

// pauseAll pauses every assigned partition while the store is failing.
func (l *Loop) pauseAll() {
	if l.paused != nil {
		return
	}
	parts, err := l.consumer.Assignment()
	if err != nil || len(parts) == 0 {
		return
	}
	if err := l.consumer.Pause(parts); err != nil {
		l.log.Warn("pause partitions", "err", err)
		return
	}
	l.paused = parts
	l.log.Warn("store unavailable: partitions paused", "partitions", len(parts))
}

// resumeAll resumes the partitions pauseAll paused.
func (l *Loop) resumeAll() {
	if l.paused == nil {
		return
	}
	if err := l.consumer.Resume(l.paused); err != nil {
		l.log.Warn("resume partitions", "err", err)
	}
	l.log.Info("partitions resumed", "partitions", len(l.paused))
	l.paused = nil
}
