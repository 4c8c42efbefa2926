package erasure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/kafkalog"
)

// requestTimeout bounds one metadata or watermark request of Sync.
const requestTimeout = 5 * time.Second

// View is the erasure topic read into a Set and kept current. Its consumer
// is assigned every partition of the topic from the beginning (no group:
// every process reads the whole topic, nothing is committed), and
// librdkafka keeps fetching new records in the background; Sync applies
// them up to the topic's end. A process that must not store erased events
// calls Sync before each write, so every erasure acknowledged by Kafka
// before the Sync began is honoured by that write, also in a process that
// just started (the set is rebuilt from the compacted topic on the first
// Sync).
type View struct {
	topic string
	log   *slog.Logger
	c     *kafka.Consumer // assigned: reads the records
	// probe asks for metadata and watermarks. It is a client of its own
	// because c's broker connection is busy with a long-polling fetch most of
	// the time (up to fetch.wait.max.ms), which would queue every request of
	// Sync behind it: about a second per Sync instead of milliseconds.
	probe *kafka.Consumer

	mu  sync.RWMutex // guards set
	set *Set

	syncMu   sync.Mutex      // one Sync at a time; guards the fields below
	pos      map[int32]int64 // next offset to apply per assigned partition
	warnedNo bool            // the missing topic was logged
}

// viewConfig is the view's consumer: every option with its reason.
func viewConfig(brokers string) *kafka.ConfigMap {
	return &kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": brokers,
		// librdkafka wants a group id even for assign(); it is never joined
		// (no subscribe) and nothing is committed for it.
		"group.id": "footprint-erasure-view",
		// Shows up in broker logs.
		"client.id": "footprint-erasure-view",
		// Every process reads the whole topic from the start, every time.
		"enable.auto.commit": false,
		// Applies only to an offset that has fallen out of the log.
		"auto.offset.reset": "earliest",
		// The EOF event tells Sync a partition is read to its end, also when
		// the last offsets are not records (control markers).
		"enable.partition.eof": true,
		// Only erasures whose produce committed count (the command's producer
		// is not transactional, so this changes nothing today).
		"isolation.level": "read_committed",
		// No KIP-714 client telemetry: only log noise.
		"enable.metrics.push": false,
	}
}

// Open connects a view of topic; the first Sync reads it.
func Open(brokers, topic string, logger *slog.Logger) (*View, error) {
	cm := viewConfig(brokers)
	if err := kafkalog.Enable(cm); err != nil {
		return nil, fmt.Errorf("kafka log routing: %w", err)
	}
	c, err := kafka.NewConsumer(cm)
	if err != nil {
		return nil, fmt.Errorf("erasure view consumer: %w", err)
	}
	go kafkalog.Forward(c.Logs(), logger.With("client", "erasure_view"))
	pm := viewConfig(brokers)
	if err := kafkalog.Enable(pm); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("kafka log routing: %w", err)
	}
	probe, err := kafka.NewConsumer(pm)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("erasure view probe: %w", err)
	}
	go kafkalog.Forward(probe.Logs(), logger.With("client", "erasure_view_probe"))
	return &View{topic: topic, log: logger, c: c, probe: probe, set: NewSet(), pos: map[int32]int64{}}, nil
}

// Close closes the view's consumer.
func (v *View) Close() {
	if v != nil {
		_ = v.c.Close()
		_ = v.probe.Close()
	}
}

// Erased reports whether ev belongs to an erased subject as of the last Sync.
func (v *View) Erased(ev *eventv1.Event) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.set.Erased(ev)
}

// Len is the number of erased subjects as of the last Sync.
func (v *View) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.set.Len()
}

// Sync applies every record the topic holds now: it reads the high
// watermark of each partition and returns once the view has read up to it.
// A topic that does not exist yet has no erasures (the erase command
// creates it at the latest by producing the record it then deletes after).
func (v *View) Sync(ctx context.Context) error {
	v.syncMu.Lock()
	defer v.syncMu.Unlock()
	targets, err := v.targets()
	if err != nil {
		return err
	}
	for p, high := range targets {
		for v.pos[p] < high {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("erasure view of %s: partition %d read to %d of %d: %w", v.topic, p, v.pos[p], high, err)
			}
			if err := v.apply(v.c.Poll(100)); err != nil {
				return err
			}
		}
	}
	return nil
}

// targets assigns partitions new to the view and returns, per partition
// holding records, the high watermark Sync must read up to.
func (v *View) targets() (map[int32]int64, error) {
	md, err := v.probe.GetMetadata(&v.topic, false, int(requestTimeout/time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("erasure view: metadata of %s: %w", v.topic, err)
	}
	t := md.Topics[v.topic]
	if t.Error.Code() == kafka.ErrUnknownTopicOrPart {
		if !v.warnedNo {
			v.log.Warn("erasure topic does not exist: nothing is erased", "topic", v.topic)
			v.warnedNo = true
		}
		return nil, nil
	}
	if t.Error.Code() != kafka.ErrNoError {
		return nil, fmt.Errorf("erasure view: topic %s: %w", v.topic, t.Error)
	}
	var fresh []kafka.TopicPartition
	targets := make(map[int32]int64, len(t.Partitions))
	for _, p := range t.Partitions {
		if _, ok := v.pos[p.ID]; !ok {
			fresh = append(fresh, kafka.TopicPartition{Topic: &v.topic, Partition: p.ID, Offset: kafka.OffsetBeginning})
		}
		low, high, err := v.probe.QueryWatermarkOffsets(v.topic, p.ID, int(requestTimeout/time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("erasure view: watermarks of %s/%d: %w", v.topic, p.ID, err)
		}
		if high > low {
			targets[p.ID] = high
		}
	}
	if len(fresh) > 0 {
		if err := v.c.IncrementalAssign(fresh); err != nil {
			return nil, fmt.Errorf("erasure view: assign %s: %w", v.topic, err)
		}
		for _, tp := range fresh {
			v.pos[tp.Partition] = -1
		}
	}
	return targets, nil
}

// apply takes one polled event into the view.
func (v *View) apply(ev kafka.Event) error {
	switch e := ev.(type) {
	case *kafka.Message:
		if e.TopicPartition.Error != nil {
			return fmt.Errorf("erasure view: read %s: %w", v.topic, e.TopicPartition.Error)
		}
		p, off := e.TopicPartition.Partition, int64(e.TopicPartition.Offset)
		v.pos[p] = max(v.pos[p], off+1)
		if e.Value == nil { // a tombstone withdraws nothing: erasure is final
			return nil
		}
		rec, err := Decode(e.Value)
		if err != nil {
			// It cannot be honoured; stopping every write for it would not help.
			v.log.Error("unreadable erasure record skipped", "partition", p, "offset", off, "err", err)
			return nil
		}
		v.mu.Lock()
		v.set.Add(rec)
		v.mu.Unlock()
	case kafka.PartitionEOF:
		v.pos[e.Partition] = max(v.pos[e.Partition], int64(e.Offset))
	case kafka.Error:
		if e.IsFatal() {
			return fmt.Errorf("erasure view: %w", e)
		}
		if e.Code() == kafka.ErrUnknownTopicOrPart {
			return fmt.Errorf("erasure view: %s: %w", v.topic, errors.New(e.String()))
		}
		v.log.Warn("erasure view: kafka error", "err", e)
	}
	return nil
}
