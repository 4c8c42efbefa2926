package sink_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/internal/sink/sinktest"
)

// BenchmarkDecode compares the writers' unmarshal with proto.Unmarshal on the
// event the writers' Throughput scenario produces (sinktest.NewEvent: every
// field set). "generated" is vtprotobuf's UnmarshalVTUnsafe alone, to show
// what the equivalence check (wireSchema.check) costs on top.
//
//	go test -run '^$' -bench BenchmarkDecode -benchmem ./sink/
func BenchmarkDecode(b *testing.B) {
	value, err := proto.Marshal(sinktest.NewEvent("site-bench"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("proto.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(value)))
		b.ReportAllocs()
		for b.Loop() {
			if err := proto.Unmarshal(value, &eventv1.Event{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generated", func(b *testing.B) {
		b.SetBytes(int64(len(value)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := generated(value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("writers", func(b *testing.B) {
		unmarshal := sink.NewUnmarshal()
		b.SetBytes(int64(len(value)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := unmarshal(value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// generated is UnmarshalVTUnsafe into a new event that, as in the writers,
// lives on the heap (not inlined, so the compiler cannot keep it on the
// stack and skip the write barriers).
//
//go:noinline
func generated(value []byte) (*eventv1.Event, error) {
	ev := &eventv1.Event{}
	return ev, ev.UnmarshalVTUnsafe(value)
}
