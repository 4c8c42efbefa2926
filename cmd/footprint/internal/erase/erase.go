// Package erase carries out the right to erasure: it records the request on
// the compacted erasure topic (internal/erasure's record, which the writers
// and replay honour), deletes the subject's events in each store, waits for
// the live writers to pass the erasure and deletes once more, then writes an
// audit record (who, when, what was asked and how many events each store
// removed; never the erased data).
package erase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/internal/erasure"
	"github.com/footprint/footprint/store/ops"
)

// ErrOperator is returned when the request names no operator.
var ErrOperator = errors.New("erase: the operator's name is required for the audit record")

// NewRecord is the erasure record of subj.
func NewRecord(subj ops.Subject, operator string, at time.Time) erasure.Record {
	r := erasure.Record{Site: subj.Site, ErasedAt: at.UTC(), Operator: operator}
	if subj.Kind == ops.User {
		r.User = subj.ID
	} else {
		r.Visitor = subj.ID
	}
	return r
}

// SubjectOf is whose events r erases, in the store's terms.
func SubjectOf(r erasure.Record) ops.Subject {
	kind := ops.Visitor
	if r.Kind() == erasure.KindUser {
		kind = ops.User
	}
	return ops.Subject{Site: r.Site, Kind: kind, ID: r.ID()}
}

// Audit is the audit record of one erasure: the request and the counts.
type Audit struct {
	Action  string           `json:"action"`
	Request erasure.Record   `json:"request"`
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

// Fence makes sure no live writer still writes events it took before it
// saw the erasure record.
type Fence interface {
	// Mark is taken right after the erasure record is acknowledged.
	Mark(ctx context.Context) (Mark, error)
	// Wait returns once every batch that may have missed the record is
	// written, or fails.
	Wait(ctx context.Context, m Mark) (string, error)
}

// Mark is the events topic's end offsets by partition.
type Mark map[int32]int64

// Erasure is one erasure run's connections and outputs.
type Erasure struct {
	Producer *kafkaio.Producer
	Topics   Topics
	Targets  []Target
	Fence    Fence
	Now      func() time.Time
	Out      io.Writer
}

// Erase records the request, deletes in every target, waits for the
// writers to pass the record (Fence) and deletes again what they wrote
// meanwhile, then writes the audit record. The record goes first: from
// then on every writer's next write and every replay skip the subject. A
// failed step leaves the record, and erase can simply be run again.
func (e Erasure) Erase(ctx context.Context, subj ops.Subject, operator string) (Audit, error) {
	if err := subj.Validate(); err != nil {
		return Audit{}, err
	}
	if operator == "" {
		return Audit{}, ErrOperator
	}
	rec := NewRecord(subj, operator, e.Now())
	if err := send(ctx, e.Producer, e.Topics.Erasures, rec.Key(), rec); err != nil {
		return Audit{}, err
	}
	mark, err := e.Fence.Mark(ctx)
	if err != nil {
		return Audit{}, err
	}
	audit := Audit{Action: "erase", Request: rec, Removed: map[string]int64{}}
	if err := e.deleteAll(ctx, subj, audit.Removed, "removed %d events of %s %s (site %s)"); err != nil {
		return audit, err
	}
	waited, err := e.Fence.Wait(ctx, mark)
	if err != nil {
		return audit, fmt.Errorf("waiting for the writers to pass the erasure (the first deletion is done; run erase again): %w", err)
	}
	fmt.Fprintln(e.Out, waited)
	if err := e.deleteAll(ctx, subj, audit.Removed, "removed %d more events of %s %s (site %s) written meanwhile"); err != nil {
		return audit, err
	}
	audit.Done = e.Now().UTC()
	if err := send(ctx, e.Producer, e.Topics.Audit, rec.Key(), audit); err != nil {
		return audit, err
	}
	fmt.Fprintf(e.Out, "erasure recorded on %s, audit record on %s (operator %s)\n", e.Topics.Erasures, e.Topics.Audit, operator)
	return audit, nil
}

// deleteAll deletes subj in every target, adds the counts to removed and
// prints each with format (count, kind, id, site).
func (e Erasure) deleteAll(ctx context.Context, subj ops.Subject, removed map[string]int64, format string) error {
	for _, t := range e.Targets {
		n, err := t.Store.Erase(ctx, subj)
		if err != nil {
			return fmt.Errorf("erase in %s: %w", t.Name, err)
		}
		removed[t.Name] += n
		fmt.Fprintf(e.Out, "%s: "+format+"\n", t.Name, n, subj.Kind, subj.ID, subj.Site)
	}
	return nil
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
