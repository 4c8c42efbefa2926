// Package dlq inspects the dead-letter topic and sends letters back. A dead
// letter is the original message (key, value, headers) plus the footprint-dlq-*
// headers the writers add (internal/wire): reason, source topic, partition,
// offset and writer. Redrive produces the same key and value to the source
// topic, keeping every header, so the event keeps its event_id and the
// stores' idempotency holds: redriving a letter twice stores it once.
package dlq

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/wire"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// HeaderRedrivenFrom is added to a redriven message: the dead letter it came
// from, as <dlq topic>/<partition>:<offset>.
const HeaderRedrivenFrom = "footprint-redriven-from"

// ErrRef is returned for a letter reference that is not partition:offset.
var ErrRef = errors.New("dlq: a letter is named as partition:offset")

// Ref names one dead letter.
type Ref struct {
	Partition int32
	Offset    int64
}

func (r Ref) String() string { return fmt.Sprintf("%d:%d", r.Partition, r.Offset) }

// ParseRef parses partition:offset.
func ParseRef(s string) (Ref, error) {
	p, o, ok := strings.Cut(s, ":")
	pn, err1 := strconv.ParseInt(p, 10, 32)
	on, err2 := strconv.ParseInt(o, 10, 64)
	if !ok || err1 != nil || err2 != nil || pn < 0 || on < 0 {
		return Ref{}, fmt.Errorf("%w: got %q", ErrRef, s)
	}
	return Ref{Partition: int32(pn), Offset: on}, nil
}

// Letter is a dead letter as read from the DLQ topic.
type Letter struct {
	Ref     Ref
	Time    time.Time
	Key     []byte
	Value   []byte
	Headers []kafka.Header
	Reason  string
	Source  string // topic/partition:offset it was read from
	Writer  string
	topic   string // source topic
}

func fromMessage(m *kafka.Message) Letter {
	l := Letter{Ref: Ref{m.TopicPartition.Partition, int64(m.TopicPartition.Offset)}, Time: m.Timestamp,
		Key: m.Key, Value: m.Value, Headers: m.Headers}
	h := lastHeaders(m.Headers)
	l.Reason, l.Writer, l.topic = h[wire.HeaderDLQError], h[wire.HeaderDLQWriter], h[wire.HeaderDLQTopic]
	l.Source = fmt.Sprintf("%s/%s:%s", l.topic, h[wire.HeaderDLQPartition], h[wire.HeaderDLQOffset])
	return l
}

// lastHeaders maps each header name to its last value: a redriven letter
// rejected again carries the newest reason last.
func lastHeaders(hs []kafka.Header) map[string]string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		m[h.Key] = string(h.Value)
	}
	return m
}

// List returns every letter on the topic now.
func List(ctx context.Context, r *kafkaio.Reader, topic string) ([]Letter, error) {
	var out []Letter
	err := r.ReadAll(ctx, topic, func(m *kafka.Message) error {
		out = append(out, fromMessage(m))
		return nil
	})
	return out, err
}

// Get returns one letter.
func Get(ctx context.Context, r *kafkaio.Reader, topic string, ref Ref) (Letter, error) {
	m, err := r.ReadAt(ctx, topic, ref.Partition, ref.Offset)
	if err != nil {
		return Letter{}, err
	}
	return fromMessage(m), nil
}

// WriteList prints one line per letter.
func WriteList(w io.Writer, letters []Letter) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "letter\ttime\twriter\tfrom\treason\n")
	for _, l := range letters {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Ref, l.Time.UTC().Format(time.RFC3339), l.Writer, l.Source, l.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d dead letters\n", len(letters))
	return err
}

// WriteShow prints a letter in full: headers, key and the value as the
// event's JSON when it decodes, else as hex.
func WriteShow(w io.Writer, l Letter) error {
	fmt.Fprintf(w, "letter:  %s\ntime:    %s\nreason:  %s\nfrom:    %s\nwriter:  %s\nkey:     %q\nheaders:\n",
		l.Ref, l.Time.UTC().Format(time.RFC3339Nano), l.Reason, l.Source, l.Writer, l.Key)
	for _, h := range l.Headers {
		fmt.Fprintf(w, "  %s: %q\n", h.Key, h.Value)
	}
	ev := &eventv1.Event{}
	if err := proto.Unmarshal(l.Value, ev); err != nil {
		_, err := fmt.Fprintf(w, "value (%d bytes, not an event: %v):\n%s\n", len(l.Value), err, hex.Dump(l.Value))
		return err
	}
	body, err := protojson.Marshal(ev)
	if err != nil {
		return fmt.Errorf("event as json: %w", err)
	}
	// protojson varies its whitespace on purpose; encoding/json lays it out
	// the same way every time.
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		return fmt.Errorf("event as json: %w", err)
	}
	_, err = fmt.Fprintf(w, "value (%d bytes):\n%s\n", len(l.Value), pretty.Bytes())
	return err
}

// Redrive sends each letter back to its source topic (or to topic when
// set) with its key, value and headers, plus HeaderRedrivenFrom.
func Redrive(ctx context.Context, r *kafkaio.Reader, p *kafkaio.Producer, dlqTopic string, refs []Ref, topic string, out io.Writer) error {
	for _, ref := range refs {
		l, err := Get(ctx, r, dlqTopic, ref)
		if err != nil {
			return err
		}
		dest := topic
		if dest == "" {
			dest = l.topic
		}
		if dest == "" {
			return fmt.Errorf("letter %s names no source topic (header %s): pass --topic", ref, wire.HeaderDLQTopic)
		}
		headers := append(append([]kafka.Header{}, l.Headers...),
			kafka.Header{Key: HeaderRedrivenFrom, Value: []byte(dlqTopic + "/" + ref.String())})
		tp, err := p.Send(ctx, &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &dest, Partition: kafka.PartitionAny},
			Key:            l.Key, Value: l.Value, Headers: headers,
		})
		if err != nil {
			return fmt.Errorf("redrive %s: %w", ref, err)
		}
		fmt.Fprintf(out, "redrove %s to %s %d:%d\n", ref, dest, tp.Partition, tp.Offset)
	}
	return nil
}
