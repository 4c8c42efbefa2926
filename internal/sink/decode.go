package sink

import (
	"errors"
	"fmt"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Reasons a message cannot be stored. They end up in the DLQ error header.
var (
	ErrUndecodable     = errors.New("undecodable protobuf value")
	ErrInvalidEventID  = errors.New("event_id is not a canonical UUID")
	ErrMissingSiteID   = errors.New("site_id is empty")
	ErrMissingName     = errors.New("name is empty")
	ErrMissingOccurred = errors.New("occurred_at is missing or invalid")
	ErrMissingReceived = errors.New("received_at is missing or invalid")
	ErrTimeRange       = errors.New("occurred_at and received_at must be between 1970-01-01 and 2100-01-01")
)

// Both stores hold these instants (ClickHouse DateTime is unsigned 32-bit
// seconds); anything outside is a broken clock, not an event.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Decode unmarshals a Kafka message value into an event and checks that a
// store can hold it. The error says why not; such a message goes to the DLQ.
func Decode(value []byte) (*eventv1.Event, error) {
	ev := &eventv1.Event{}
	if err := proto.Unmarshal(value, ev); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	if err := Storable(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// Storable checks what both stores rely on: the idempotency key and the
// partition key must be present and well formed.
func Storable(ev *eventv1.Event) error {
	var errs []error
	if !ValidUUID(ev.GetEventId()) {
		errs = append(errs, ErrInvalidEventID)
	}
	if ev.GetSiteId() == "" {
		errs = append(errs, ErrMissingSiteID)
	}
	if ev.GetName() == "" {
		errs = append(errs, ErrMissingName)
	}
	if ev.GetOccurredAt() == nil || ev.GetOccurredAt().CheckValid() != nil {
		errs = append(errs, ErrMissingOccurred)
	}
	if ev.GetReceivedAt() == nil || ev.GetReceivedAt().CheckValid() != nil {
		errs = append(errs, ErrMissingReceived)
	}
	for _, ts := range []*timestamppb.Timestamp{ev.GetOccurredAt(), ev.GetReceivedAt()} {
		if ts.CheckValid() == nil && (ts.AsTime().Before(minTime) || !ts.AsTime().Before(maxTime)) {
			errs = append(errs, ErrTimeRange)
			break
		}
	}
	return errors.Join(errs...)
}

// ValidUUID reports whether s is a UUID in canonical textual form
// (8-4-4-4-12 hexadecimal digits, either case), the form both stores parse.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
