// Package erasure carries out the right to erasure: it records the request
// on the compacted erasure topic, deletes the subject's events in each
// store, and writes an audit record (who, when, what was asked and how many
// events each store removed; never the erased data). Set is the erasure
// topic read back, which replay uses to skip erased events.
package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/ops"
)

// ErrOperator is returned when the request names no operator.
var ErrOperator = errors.New("erasure: the operator's name is required for the audit record")

// Record is one erasure request as kept on the erasure topic.
type Record struct {
	Site     string    `json:"site"`
	Visitor  string    `json:"visitor,omitempty"`
	User     string    `json:"user,omitempty"`
	ErasedAt time.Time `json:"erased_at"`
	Operator string    `json:"operator"`
}

// NewRecord is the record of erasing subj.
func NewRecord(subj ops.Subject, operator string, at time.Time) Record {
	r := Record{Site: subj.Site, ErasedAt: at.UTC(), Operator: operator}
	if subj.Kind == ops.User {
		r.User = subj.ID
	} else {
		r.Visitor = subj.ID
	}
	return r
}

// Subject is whose events the record erases.
func (r Record) Subject() ops.Subject {
	if r.User != "" {
		return ops.Subject{Site: r.Site, Kind: ops.User, ID: r.User}
	}
	return ops.Subject{Site: r.Site, Kind: ops.Visitor, ID: r.Visitor}
}

// key is the record's Kafka key: compaction keeps the latest request per subject.
func key(s ops.Subject) string { return s.Kind.String() + "\x00" + s.Site + "\x00" + s.ID }

// Audit is the audit record of one erasure: the request and the counts.
type Audit struct {
	Action  string           `json:"action"`
	Request Record           `json:"request"`
	Removed map[string]int64 `json:"removed"`
	Done    time.Time        `json:"done_at"`
}

// Eraser deletes a subject's events from one store.
type Eraser interface {
	Erase(ctx context.Context, subj ops.Subject) (int64, error)
}

// Target is a named store to erase from.
type Target struct {
	Name  string
	Store Eraser
}

// Topics are where the records go.
type Topics struct{ Erasures, Audit string }

// Erase records the request, deletes in every target in order, prints what
// each removed to out and writes the audit record. The erasure record goes
// first, so that a replay running meanwhile already skips the subject; a
// failed delete leaves the record, and erase can simply be run again.
func Erase(ctx context.Context, p *kafkaio.Producer, topics Topics, subj ops.Subject, operator string, targets []Target, now func() time.Time, out io.Writer) (Audit, error) {
	if err := subj.Validate(); err != nil {
		return Audit{}, err
	}
	if operator == "" {
		return Audit{}, ErrOperator
	}
	rec := NewRecord(subj, operator, now())
	if err := send(ctx, p, topics.Erasures, key(subj), rec); err != nil {
		return Audit{}, err
	}
	audit := Audit{Action: "erase", Request: rec, Removed: map[string]int64{}}
	for _, t := range targets {
		n, err := t.Store.Erase(ctx, subj)
		if err != nil {
			return audit, fmt.Errorf("erase in %s: %w", t.Name, err)
		}
		audit.Removed[t.Name] = n
		fmt.Fprintf(out, "%s: removed %d events of %s %s (site %s)\n", t.Name, n, subj.Kind, subj.ID, subj.Site)
	}
	audit.Done = now().UTC()
	if err := send(ctx, p, topics.Audit, key(subj), audit); err != nil {
		return audit, err
	}
	fmt.Fprintf(out, "erasure recorded on %s, audit record on %s (operator %s)\n", topics.Erasures, topics.Audit, operator)
	return audit, nil
}

func send(ctx context.Context, p *kafkaio.Producer, topic, k string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	_, err = p.Send(ctx, &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
		Key:            []byte(k), Value: body,
		Headers: []kafka.Header{{Key: "content-type", Value: []byte("application/json")}},
	})
	return err
}

// Set is every erasure on the erasure topic: the latest request per subject.
type Set struct {
	erased map[string]time.Time // key -> erased_at
}

// Load reads the erasure topic.
func Load(ctx context.Context, r *kafkaio.Reader, topic string) (*Set, error) {
	s := &Set{erased: map[string]time.Time{}}
	err := r.ReadAll(ctx, topic, func(m *kafka.Message) error {
		if m.Value == nil { // a tombstone withdraws nothing here: erasure is final
			return nil
		}
		var rec Record
		if err := json.Unmarshal(m.Value, &rec); err != nil {
			return fmt.Errorf("erasure record %d:%d: %w", m.TopicPartition.Partition, m.TopicPartition.Offset, err)
		}
		k := key(rec.Subject())
		if rec.ErasedAt.After(s.erased[k]) {
			s.erased[k] = rec.ErasedAt
		}
		return nil
	})
	return s, err
}

// Len is the number of erased subjects.
func (s *Set) Len() int { return len(s.erased) }

// Erased reports whether ev belongs to an erased visitor or user and
// occurred before the erasure: the events the erasure removed or would have
// removed had they been stored by then. Later events are new data.
func (s *Set) Erased(ev *eventv1.Event) bool {
	at := ev.GetOccurredAt().AsTime()
	for _, subj := range []ops.Subject{
		{Site: ev.GetSiteId(), Kind: ops.Visitor, ID: ev.GetVisitorId()},
		{Site: ev.GetSiteId(), Kind: ops.User, ID: ev.GetUserId()},
	} {
		if subj.ID == "" {
			continue
		}
		if t, ok := s.erased[key(subj)]; ok && !at.After(t) {
			return true
		}
	}
	return false
}
