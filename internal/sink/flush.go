package sink

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// flush writes the batch, waits for its dead letters, commits its offsets and
// resets it. With retry it keeps trying (partitions paused) until it succeeds,
// the batch is dropped by a revocation, or the shutdown deadline passes; it
// returns an error only in that last case. Without retry (inside a revocation)
// any failure drops the batch.
func (l *Loop) flush(ctx context.Context, retry bool) error {
	if l.b.msgs == 0 {
		return nil
	}
	l.inFlush, l.dropped = true, false
	defer func() { l.inFlush = false }()
	r := &retrier{l: l, ctx: ctx, retry: retry, backoff: l.cfg.RetryInitial}
	for _, step := range []func(*retrier) (bool, error){l.erasureStep, l.writeStep, l.deadLetterStep, l.commitStep} {
		if done, err := step(r); !done {
			return err
		}
	}
	l.nextBatch()
	return nil
}

// retrier is one flush's answer to a failed step. With retry it pauses the
// partitions and backs off (capped, exponential), and the step tries again
// unless a revocation dropped the batch meanwhile; without retry (inside a
// revocation) the batch is dropped at once.
type retrier struct {
	l       *Loop
	ctx     context.Context
	retry   bool
	backoff time.Duration
}

// failed records a failed step and reports whether to try it again; the
// error is set only when the shutdown deadline passed.
func (r *retrier) failed(step string, err error) (bool, error) {
	l := r.l
	l.log.Warn("batch step failed", "step", step, "err", err, "events", len(l.b.events), "retry_in", r.backoff.String())
	if !r.retry {
		l.drop("revoked after failed " + step)
		return false, nil
	}
	l.pauseAll()
	if werr := l.wait(r.ctx, r.backoff); werr != nil {
		return false, werr
	}
	r.backoff = min(r.backoff*2, l.cfg.RetryMax)
	return !l.dropped, nil
}

// writeStep writes the batch's events to the store; events the store
// rejects go to the DLQ. It reports whether the flush goes on.
func (l *Loop) writeStep(r *retrier) (bool, error) {
	for len(l.b.events) > 0 {
		res, dropped, err := l.writeWhilePolling(r, l.b.events)
		if dropped || err != nil {
			return false, err
		}
		if res.err == nil {
			l.wrote(res)
			return true, nil
		}
		l.storeFailed(res.err)
		if again, ferr := r.failed("store write", res.err); !again {
			return false, ferr
		}
	}
	return true, nil
}

// wrote records a successful write of the batch (metrics, readiness) and
// sends the events the store rejected to the DLQ.
func (l *Loop) wrote(res writeResult) {
	l.m.writeSecs.Observe(res.took.Seconds())
	l.m.batchSize.Observe(float64(len(l.b.events)))
	l.m.written.Add(float64(len(l.b.events) - len(res.rejected)))
	if l.storeErr.Swap(nil) != nil {
		l.log.Info("store is back")
	}
	l.m.storeUp.Set(1)
	for i, reason := range res.rejected {
		d := l.deadLetter(l.b.evMsgs[i], "store rejected: "+reason.Error())
		l.log.Warn("event rejected by the store sent to dlq", "event_id", l.b.events[i].GetEventId(), "reason", d.reason)
	}
}

// storeFailed records a failed write: /readyz reports it until the next
// success.
func (l *Loop) storeFailed(err error) {
	l.m.writeErrs.Inc()
	msg := err.Error()
	l.storeErr.Store(&msg)
	l.m.storeUp.Set(0)
}

// deadLetterStep waits until every dead letter of the batch is durable:
// committing past them needs that.
func (l *Loop) deadLetterStep(r *retrier) (bool, error) {
	for _, d := range l.b.dlq {
		for {
			err := l.awaitDLQ(d)
			if err == nil {
				break
			}
			if again, ferr := r.failed("dlq delivery", err); !again {
				return false, ferr
			}
			l.produceDLQ(d)
		}
	}
	return true, nil
}

// commitStep commits exactly the offsets written: last offset + 1 per
// partition.
func (l *Loop) commitStep(r *retrier) (bool, error) {
	offsets := l.b.commitOffsets()
	for {
		start := time.Now()
		_, err := l.consumer.CommitOffsets(offsets)
		if err == nil {
			l.m.commitSecs.Observe(time.Since(start).Seconds())
			break
		}
		var kerr kafka.Error
		if errors.As(err, &kerr) && isGenerationLost(kerr.Code()) {
			// The partitions belong to someone else now; the batch is in
			// the store, the new owner re-reads it and the store dedups.
			l.log.Warn("commit rejected after rebalance; new owner re-reads the batch", "err", err)
			break
		}
		if again, ferr := r.failed("commit", err); !again {
			return false, ferr
		}
	}
	l.updateLag(offsets)
	l.age.committed(offsets)
	return true, nil
}

// nextBatch starts a new batch with the messages polled while the last one
// was paused, and resumes the partitions.
func (l *Loop) nextBatch() {
	carry := l.carry.msgs
	l.carry = carried{}
	l.b.reset()
	l.resumeAll()
	for _, p := range carry {
		l.add(p)
	}
}

// writeIsolating writes events; when the store rejects the data it bisects
// until the rejected events are single, and returns their indexes with the
// store's reason. Halves already written are written again on the next try,
// which the store's dedup makes harmless. Any other error is returned as is.
func (l *Loop) writeIsolating(events []*eventv1.Event) (map[int]error, error) {
	rejected := map[int]error{}
	var write func(lo, hi int) error
	write = func(lo, hi int) error {
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.WriteTimeout)
		err := l.store.WriteBatch(ctx, events[lo:hi])
		cancel()
		if err == nil || !errors.Is(err, ErrRejected) {
			return err
		}
		if hi-lo == 1 {
			rejected[lo] = err
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := write(lo, mid); err != nil {
			return err
		}
		return write(mid, hi)
	}
	if err := write(0, len(events)); err != nil {
		return nil, err
	}
	return rejected, nil
}

// updateLag sets the lag gauge of the committed partitions.
func (l *Loop) updateLag(offsets []kafka.TopicPartition) {
	for _, tp := range offsets {
		_, high, err := l.consumer.GetWatermarkOffsets(*tp.Topic, tp.Partition)
		if err != nil || high < 0 {
			continue
		}
		l.m.lag.WithLabelValues(*tp.Topic, strconv.Itoa(int(tp.Partition))).Set(float64(max(high-int64(tp.Offset), 0)))
	}
}
