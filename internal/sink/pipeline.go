package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// While a batch is written, the loop goes on polling and decoding the
// messages of the next batch (up to one batch of them, kept in carry), so
// the store and the decoder work at the same time instead of in turn. The
// next batch is only decoded, never written or committed, before this one
// is committed: offsets still follow the writes.

// pollWhileWriting is how long one poll may wait while a write is in
// flight: how late, at most, the loop sees the write finish.
const pollWhileWriting = 5 * time.Millisecond

// polled is a consumed message with its decoded event, or why it cannot be
// stored (it goes to the DLQ when it is added to a batch).
type polled struct {
	msg *kafka.Message
	ev  *eventv1.Event
	err error
	at  time.Time // when it was polled: the batch's age counts from it
}

// decode decodes a polled message.
func (l *Loop) decode(msg *kafka.Message) polled {
	ev, err := l.dec.Decode(msg.Value)
	return polled{msg: msg, ev: ev, err: err, at: time.Now()}
}

// writeResult is the outcome of writeIsolating.
type writeResult struct {
	rejected map[int]error
	err      error
	took     time.Duration
}

// writeWhilePolling writes events (writeIsolating) in a goroutine and
// meanwhile polls and decodes the next messages into carry, until the write
// ends or carry holds a full batch. dropped reports that a revocation
// during a poll finished the flush (rebalance: finishRevokedWrite); the
// result is then void. A flush without retry runs inside a revocation
// callback, where the consumer must not be polled: it only writes.
func (l *Loop) writeWhilePolling(r *retrier, events []*eventv1.Event) (res writeResult, dropped bool, err error) {
	done := make(chan writeResult, 1)
	go func() {
		start := time.Now()
		rejected, err := l.writeIsolating(events)
		done <- writeResult{rejected, err, time.Since(start)}
	}()
	l.inflight = done
	defer func() { l.inflight = nil }()
	for r.retry && r.ctx.Err() == nil && !l.carryFull() {
		select {
		case res := <-done:
			return res, false, nil
		default:
		}
		if err := l.pollAside(pollWhileWriting); err != nil {
			// Fatal consumer error: let the write end, nothing is committed.
			<-done
			return writeResult{}, false, err
		}
		if l.dropped {
			return writeResult{}, true, nil
		}
	}
	return <-done, false, nil
}

// carried is what the loop polled during a flush, for the next batch.
type carried struct {
	msgs  []polled
	bytes int // of the message values, like batch.bytes
}

func (c *carried) add(p polled) {
	c.msgs = append(c.msgs, p)
	c.bytes += len(p.msg.Value)
}

// carryFull reports whether carry holds a batch's worth of messages.
func (l *Loop) carryFull() bool {
	return len(l.carry.msgs) >= l.cfg.BatchMaxEvents || l.carry.bytes >= l.cfg.BatchMaxBytes
}

// pollAside polls once for up to timeout while the batch is being flushed:
// a message is decoded into carry, for the next batch; only a fatal
// consumer error is returned. A rebalance callback may run inside.
func (l *Loop) pollAside(timeout time.Duration) error {
	switch e := l.consumer.Poll(max(int(timeout/time.Millisecond), 1)).(type) {
	case *kafka.Message:
		if e.TopicPartition.Error == nil {
			l.carry.add(l.decode(e))
		}
	case kafka.Error:
		if e.IsFatal() {
			return fmt.Errorf("kafka consumer fatal: %w", e)
		}
		l.log.Warn("kafka consumer error", "err", e)
	}
	return nil
}

// finishRevokedWrite runs inside a revocation that came while a batch was
// being flushed: it waits for a write still in flight and, if the store
// took the batch, commits it once (no retry: the partitions are leaving),
// so that the new owner does not write it again.
func (l *Loop) finishRevokedWrite() {
	if l.inflight == nil {
		return
	}
	res := <-l.inflight
	l.inflight = nil
	if res.err != nil {
		return
	}
	l.wrote(res)
	r := &retrier{l: l, ctx: context.Background(), retry: false}
	if ok, _ := l.deadLetterStep(r); ok {
		_, _ = l.commitStep(r)
	}
}
