package sink

import (
	"errors"
	"fmt"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/eventcheck"
)

// Reasons a message cannot be stored. They end up in the DLQ error header,
// followed by the field and the check that failed (eventcheck.FieldError),
// the same text from both writers.
var (
	ErrUndecodable = errors.New("undecodable protobuf value")
	ErrNotStorable = errors.New("not storable")
)

// Decoder turns Kafka message values into events both stores can hold. It is
// safe for concurrent use.
type Decoder struct {
	check        *eventcheck.Checker
	keepClientIP bool
	unmarshaler  *unmarshaler
}

// NewDecoder builds the decoder of a writer: cfg.Limits are the limits every
// event is checked against (the collector's, from internal/eventcheck) and
// cfg.KeepClientIP whether a producer's client.ip may reach the store.
func NewDecoder(cfg Config) (*Decoder, error) {
	check, err := eventcheck.New(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("sink: event limits: %w", err)
	}
	return &Decoder{check: check, keepClientIP: cfg.KeepClientIP, unmarshaler: newUnmarshaler()}, nil
}

// Decode unmarshals a Kafka message value into an event, drops client.ip
// unless the writer keeps it, and checks that a store can hold the event
// (eventcheck.Checker.StorableEncoded: Storable with the value's size). The error says why not; such a message goes
// to the DLQ.
func (d *Decoder) Decode(value []byte) (*eventv1.Event, error) {
	ev, err := d.unmarshaler.unmarshal(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	// The raw IP is personal data: the collector drops it unless told to
	// keep it, and a producer writing straight to Kafka gets the same rule.
	if c := ev.GetClient(); c != nil && !d.keepClientIP {
		c.Ip = ""
	}
	if err := d.check.StorableEncoded(ev, len(value)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotStorable, err)
	}
	return ev, nil
}
