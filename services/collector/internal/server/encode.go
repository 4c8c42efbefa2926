package server

import (
	"fmt"
	"sync"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/services/collector/internal/eventenc"
	"github.com/footprint/footprint/services/collector/internal/producer"
)

// maxPooledBuffer is the largest batch buffer kept for reuse: a batch of
// 1000 typical events needs about 400 KiB; a rare batch of huge events is
// left to the garbage collector instead of pinning its memory.
const maxPooledBuffer = 4 << 20

// encoder packs the keys and encoded values of a batch into one buffer from
// a pool (eventenc writes the values). Encoding into a fresh slice per
// event was a third of the collector's allocations; librdkafka copies what it queues, so the buffer
// is free again once ProduceBatch returns.
type encoder struct {
	buffers sync.Pool // *[]byte
}

// encoded is one batch's messages; release returns its buffer.
type encoded struct {
	msgs []producer.Message
	buf  *[]byte
}

// encode appends every event's key and value to one pooled buffer.
func (e *encoder) encode(events []*eventv1.Event) (encoded, error) {
	buf, _ := e.buffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	b := (*buf)[:0]
	msgs := make([]producer.Message, len(events))
	var err error
	for i, ev := range events {
		start := len(b)
		b = wire.AppendMessageKey(b, ev.GetSiteId(), ev.GetVisitorId())
		keyEnd := len(b)
		if b, err = eventenc.Append(b, ev); err != nil {
			*buf = b
			e.release(buf)
			return encoded{}, fmt.Errorf("encode event %d: %w", i, err)
		}
		// b may have been reallocated since: an earlier message keeps
		// pointing into the previous array, which still holds its bytes.
		msgs[i] = producer.Message{Key: b[start:keyEnd:keyEnd], Value: b[keyEnd:len(b):len(b)]}
	}
	*buf = b
	return encoded{msgs: msgs, buf: buf}, nil
}

// release gives the buffer of an encoded batch back; its messages must no
// longer be used.
func (e *encoder) release(buf *[]byte) {
	if buf != nil && cap(*buf) <= maxPooledBuffer {
		e.buffers.Put(buf)
	}
}
