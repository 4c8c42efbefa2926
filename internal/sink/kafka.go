package sink

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/internal/kafkalog"
)

// newClients creates the consumer and the DLQ producer, their librdkafka
// log lines going to logger (kafkalog, the one Kafka logging path).
func newClients(cfg Config, logger *slog.Logger) (*kafka.Consumer, *kafka.Producer, error) {
	ccfg, pcfg := consumerConfig(cfg), dlqProducerConfig(cfg)
	if err := errors.Join(kafkalog.Enable(ccfg), kafkalog.Enable(pcfg)); err != nil {
		return nil, nil, fmt.Errorf("kafka log routing: %w", err)
	}
	consumer, err := kafka.NewConsumer(ccfg)
	if err != nil {
		return nil, nil, fmt.Errorf("create kafka consumer: %w", err)
	}
	// Each forwarder ends when its client is closed.
	go kafkalog.Forward(consumer.Logs(), logger.With("client", "consumer"))
	producer, err := kafka.NewProducer(pcfg)
	if err != nil {
		consumer.Close()
		return nil, nil, fmt.Errorf("create kafka dlq producer: %w", err)
	}
	go kafkalog.Forward(producer.Logs(), logger.With("client", "dlq_producer"))
	return consumer, producer, nil
}

// consumerConfig is the writers' Kafka consumer: every option with its reason.
func consumerConfig(cfg Config) *kafka.ConfigMap {
	sessionMs := int(cfg.SessionTimeout / time.Millisecond)
	return &kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": cfg.Brokers,
		// One group per writer kind: pg-writer and ch-writer each read every
		// event; replicas of one writer split the partitions.
		"group.id": cfg.Group,
		// Shows up in broker logs and group descriptions.
		"client.id": cfg.Group,
		// We commit explicit offsets ourselves, after the store write: an
		// automatic commit could cover messages not yet stored.
		"enable.auto.commit": false,
		// Offsets are never "stored" for a background commit either; we pass
		// explicit offsets to CommitOffsets.
		"enable.auto.offset.store": false,
		// A new group starts at the beginning: a writer must never skip data
		// that was produced before it first joined.
		"auto.offset.reset": "earliest",
		// Never store events of aborted transactions if a producer ever uses
		// them; for the idempotent non-transactional collector this changes
		// nothing.
		"isolation.level": "read_committed",
		// Eager (stop-the-world) assignment: on a rebalance every partition is
		// revoked, so the loop flushes or drops its one batch as a whole and
		// starts clean from the committed offsets. Cooperative-sticky would
		// move fewer partitions but would force per-partition batch surgery;
		// a revocation costs at most one batch write here.
		"partition.assignment.strategy": "roundrobin",
		// A killed replica's partitions move to the others within this time.
		// Heartbeats run on librdkafka's own thread, so a long store write
		// does not expire the session.
		"session.timeout.ms":    sessionMs,
		"heartbeat.interval.ms": max(sessionMs/3, 100),
		// The loop polls during outages and writes are bounded by
		// WriteTimeout, so 5 minutes only trips on a wedged process.
		"max.poll.interval.ms": 300000,
		// Fetches of up to 2 MiB (512 KiB per partition). These limits count
		// the record batches as stored, compressed: the collector writes zstd,
		// about five times smaller than the messages librdkafka decompresses
		// them into and keeps until the loop has polled every one. The
		// prefetch queue below may overshoot by one fetch, so a 16 MiB fetch
		// (2 MiB per partition) let a writer draining a 1M zstd backlog peak
		// at 463-472 MiB RSS; 4 MiB gave 325 MiB, 2 MiB 289 MiB, at the same
		// drain rate (sinktest Throughput, 1M events). The loop keeps polling
		// while it writes (pipeline.go), and on one host a fetch round trip
		// takes milliseconds, so small fetches keep up. Wait up to 100 ms for
		// 64 KiB to avoid tiny fetches.
		"fetch.max.bytes":           2 << 20,
		"max.partition.fetch.bytes": 512 << 10,
		"fetch.min.bytes":           64 << 10,
		"fetch.wait.max.ms":         100,
		// librdkafka's prefetch queue (C memory, outside the Go heap): 16 MiB,
		// two batches ahead of the loop, which already holds the batch being
		// written and the next one decoded. At 64 MiB a writer draining a
		// backlog kept 64 MiB of messages it could not use yet.
		"queued.max.messages.kbytes": 16 << 10,
		// End of partition is not an event we act on.
		"enable.partition.eof": false,
		// No KIP-714 client telemetry: we export our own metrics, and the
		// negotiation only adds log noise.
		"enable.metrics.push": false,
	}
}

// dlqProducerConfig is the dead-letter producer: every option with its reason.
func dlqProducerConfig(cfg Config) *kafka.ConfigMap {
	return &kafka.ConfigMap{
		// Same cluster as the source topic.
		"bootstrap.servers": cfg.Brokers,
		// Shows up in broker logs.
		"client.id": cfg.Group + "-dlq",
		// A dead letter is committed past only when it is durable: all
		// in-sync replicas must have it.
		"acks": "all",
		// Retries never duplicate or reorder dead letters.
		"enable.idempotence": true,
		// Delivery reports arrive within this bound, so a flush never waits
		// forever for the DLQ; a failure is retried by the loop.
		"message.timeout.ms": int(dlqMessageTimeout / time.Millisecond),
		// Dead letters are rare; send them at once.
		"linger.ms": 0,
		// See the consumer: no KIP-714 telemetry.
		"enable.metrics.push": false,
	}
}

// isGenerationLost reports a commit refused because the partitions moved to
// another member.
func isGenerationLost(c kafka.ErrorCode) bool {
	switch c {
	case kafka.ErrRebalanceInProgress, kafka.ErrUnknownMemberID, kafka.ErrIllegalGeneration, kafka.ErrAssignmentLost, kafka.ErrState:
		return true
	}
	return false
}

// partitionList is the partition numbers for a log line.
func partitionList(tps []kafka.TopicPartition) string {
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = strconv.Itoa(int(tp.Partition))
	}
	return strings.Join(parts, ",")
}
