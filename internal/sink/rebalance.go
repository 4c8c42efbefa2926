package sink

import (
	"context"
	"strconv"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// rebalance is the eager rebalance callback; librdkafka performs the actual
// assign/unassign after it returns (we do not call Assign ourselves).
func (l *Loop) rebalance(c *kafka.Consumer, ev kafka.Event) error {
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		l.log.Info("partitions assigned", "partitions", partitionList(e.Partitions))
	case kafka.RevokedPartitions:
		l.log.Info("partitions revoked", "partitions", partitionList(e.Partitions), "lost", c.AssignmentLost())
		switch {
		case l.inFlush:
			// Revoked while the batch was being flushed: a write in flight
			// that succeeds is committed once; a failing store's batch is
			// given up.
			l.finishRevokedWrite()
			l.drop("revoked during a flush")
		case c.AssignmentLost():
			l.drop("assignment lost")
		case l.b.msgs > 0:
			// Still ours: one attempt to write and commit, else drop.
			_ = l.flush(context.Background(), false)
			l.drop("revoked")
		}
		l.dropped = l.inFlush // only a flush in progress needs to learn about it
		// librdkafka keeps a partition's pause across a revocation: one left
		// paused now would stay paused when it is assigned again.
		l.resumeAll()
		for _, p := range e.Partitions {
			l.m.lag.DeleteLabelValues(*p.Topic, strconv.Itoa(int(p.Partition)))
			l.age.forget(*p.Topic, p.Partition)
		}
	}
	return nil
}

// drop forgets the uncommitted batch so the next owner re-reads it.
func (l *Loop) drop(why string) {
	if l.b.msgs > 0 || len(l.carry.msgs) > 0 {
		l.log.Warn("dropping uncommitted batch; it will be re-read", "why", why, "messages", l.b.msgs+len(l.carry.msgs))
	}
	l.b.reset()
	l.carry = carried{}
	l.dropped = true
}
