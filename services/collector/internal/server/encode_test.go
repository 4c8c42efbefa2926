package server

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/wire"
)

// TestEncoderMessagesDecodeToTheEvents: every message of a batch (its
// buffer grew several times, and was reused from an earlier batch) carries
// the event's key and decodes to exactly the event.
func TestEncoderMessagesDecodeToTheEvents(t *testing.T) {
	var enc encoder
	for round, n := range []int{1, 1000, 7} {
		events := benchEvents(n)
		batch, err := enc.encode(events)
		if err != nil {
			t.Fatal(err)
		}
		for i, msg := range batch.msgs {
			if want := wire.MessageKey(events[i].SiteId, events[i].VisitorId); !bytes.Equal(msg.Key, want) {
				t.Fatalf("round %d event %d: key %q, want %q", round, i, msg.Key, want)
			}
			var got eventv1.Event
			if err := proto.Unmarshal(msg.Value, &got); err != nil {
				t.Fatalf("round %d event %d: %v", round, i, err)
			}
			if !proto.Equal(&got, events[i]) {
				t.Fatalf("round %d event %d decodes to\n%v\nwant\n%v", round, i, &got, events[i])
			}
		}
		enc.release(batch.buf)
	}
}
