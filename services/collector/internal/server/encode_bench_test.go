package server

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/footprint/footprint/services/collector/internal/eventenc"
)

// BenchmarkEncodeEvent compares eventenc.Append with proto.MarshalAppend on
// enriched events like the bench's, into a reused buffer.
func BenchmarkEncodeEvent(b *testing.B) {
	events := benchEvents(1000)
	var buf []byte
	b.Run("proto", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			buf, _ = proto.MarshalOptions{}.MarshalAppend(buf[:0], events[i%len(events)])
		}
	})
	b.Run("eventenc", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			buf, _ = eventenc.Append(buf[:0], events[i%len(events)])
		}
	})
}
