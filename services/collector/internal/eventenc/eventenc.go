// Package eventenc appends the protobuf encoding of a footprint.event.v1.Event
// to a buffer, written out field by field. proto.Marshal walks its tables
// twice (sizes, then bytes) and was a tenth of the collector's CPU; this
// writes each nested message once, into a one-byte length slot that is
// widened only for the rare message of 128 bytes or more.
//
// The output decodes to exactly the event proto.Marshal would encode
// (unknown fields included; see TestAppendCoversEveryField, which fails when
// the schema gains a field this package does not write). Like proto.Marshal
// it refuses strings that are not valid UTF-8.
package eventenc

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// ErrInvalidUTF8 is returned for an event with a string that is not valid
// UTF-8, which protobuf forbids.
var ErrInvalidUTF8 = errors.New("eventenc: string field contains invalid UTF-8")

// Append appends the encoding of ev to b. On error b is returned unchanged
// in length (its spare capacity may have been written).
func Append(b []byte, ev *eventv1.Event) ([]byte, error) {
	a := appender{b: b}
	a.event(ev)
	if a.invalid {
		return b, ErrInvalidUTF8
	}
	return a.b, nil
}

type appender struct {
	b       []byte
	invalid bool
}

func (a *appender) event(ev *eventv1.Event) {
	a.str(1, ev.EventId)
	a.str(2, ev.SiteId)
	a.str(3, ev.Name)
	a.timestamp(4, ev.OccurredAt)
	a.timestamp(5, ev.ReceivedAt)
	a.str(6, ev.VisitorId)
	a.str(7, ev.UserId)
	a.str(8, ev.SessionId)
	a.page(9, ev.Page)
	a.str(10, ev.HttpMethod)
	a.uint(11, uint64(ev.HttpStatus))
	a.uint(12, ev.DurationUs)
	a.client(13, ev.Client)
	a.utm(14, ev.Utm)
	for k, v := range ev.Properties {
		start := a.begin(15)
		a.strAlways(1, k)
		a.strAlways(2, v)
		a.end(start)
	}
	a.enrichment(16, ev.Enrichment)
	a.b = append(a.b, ev.ProtoReflect().GetUnknown()...)
}

func (a *appender) page(num protowire.Number, p *eventv1.Page) {
	if p == nil {
		return
	}
	start := a.begin(num)
	a.str(1, p.Url)
	a.str(2, p.Path)
	a.str(3, p.Title)
	a.str(4, p.Referrer)
	a.b = append(a.b, p.ProtoReflect().GetUnknown()...)
	a.end(start)
}

func (a *appender) client(num protowire.Number, c *eventv1.ClientContext) {
	if c == nil {
		return
	}
	start := a.begin(num)
	a.str(1, c.UserAgent)
	a.str(2, c.Locale)
	a.uint(3, uint64(c.ScreenWidth))
	a.uint(4, uint64(c.ScreenHeight))
	a.str(5, c.TimeZone)
	a.str(6, c.Ip)
	a.b = append(a.b, c.ProtoReflect().GetUnknown()...)
	a.end(start)
}

func (a *appender) utm(num protowire.Number, u *eventv1.Utm) {
	if u == nil {
		return
	}
	start := a.begin(num)
	a.str(1, u.Source)
	a.str(2, u.Medium)
	a.str(3, u.Campaign)
	a.str(4, u.Term)
	a.str(5, u.Content)
	a.b = append(a.b, u.ProtoReflect().GetUnknown()...)
	a.end(start)
}

func (a *appender) enrichment(num protowire.Number, en *eventv1.Enrichment) {
	if en == nil {
		return
	}
	start := a.begin(num)
	a.str(1, en.Browser)
	a.str(2, en.BrowserVersion)
	a.str(3, en.Os)
	a.str(4, en.OsVersion)
	a.uint(5, uint64(en.DeviceClass)) // an enum is an int32: negative values sign-extend
	a.boolean(6, en.IsBot)
	a.str(7, en.ReferrerHost)
	a.boolean(8, en.ClockClamped)
	a.boolean(9, en.VisitorIdDerived)
	a.boolean(10, en.EventIdAssigned)
	a.b = append(a.b, en.ProtoReflect().GetUnknown()...)
	a.end(start)
}

func (a *appender) timestamp(num protowire.Number, ts *timestamppb.Timestamp) {
	if ts == nil {
		return
	}
	start := a.begin(num)
	a.uint(1, uint64(ts.Seconds))
	a.uint(2, uint64(int64(ts.Nanos)))
	a.b = append(a.b, ts.ProtoReflect().GetUnknown()...)
	a.end(start)
}

// str writes a non-empty string field (proto3 leaves empty ones out).
func (a *appender) str(num protowire.Number, s string) {
	if s != "" {
		a.strAlways(num, s)
	}
}

// strAlways writes a string field even when empty (map entries).
func (a *appender) strAlways(num protowire.Number, s string) {
	if !utf8.ValidString(s) {
		a.invalid = true
	}
	a.b = protowire.AppendTag(a.b, num, protowire.BytesType)
	a.b = protowire.AppendString(a.b, s)
}

// uint writes a non-zero varint field (int32/int64/uint32/uint64/enum as
// their two's complement 64-bit value, as protobuf encodes them).
func (a *appender) uint(num protowire.Number, v uint64) {
	if v != 0 {
		a.b = protowire.AppendTag(a.b, num, protowire.VarintType)
		a.b = protowire.AppendVarint(a.b, v)
	}
}

func (a *appender) boolean(num protowire.Number, v bool) {
	if v {
		a.b = protowire.AppendTag(a.b, num, protowire.VarintType)
		a.b = append(a.b, 1)
	}
}

// begin writes the tag of a nested message and a one-byte length slot; it
// returns where the slot is.
func (a *appender) begin(num protowire.Number) int {
	a.b = protowire.AppendTag(a.b, num, protowire.BytesType)
	a.b = append(a.b, 0)
	return len(a.b) - 1
}

// end fills the length slot at start, widening it when the message is 128
// bytes or longer.
func (a *appender) end(start int) {
	n := len(a.b) - start - 1
	if n < 0x80 {
		a.b[start] = byte(n)
		return
	}
	width := protowire.SizeVarint(uint64(n))
	a.b = append(a.b, make([]byte, width-1)...)
	copy(a.b[start+width:], a.b[start+1:start+1+n])
	protowire.AppendVarint(a.b[start:start], uint64(n))
}
