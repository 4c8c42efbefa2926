package eventenc

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// Size is the length of Append's encoding of ev (proto.Size's answer,
// without its reflection over the map of properties).
func Size(ev *eventv1.Event) int {
	n := str(1, ev.EventId) + str(2, ev.SiteId) + str(3, ev.Name) +
		timestampSize(4, ev.OccurredAt) + timestampSize(5, ev.ReceivedAt) +
		str(6, ev.VisitorId) + str(7, ev.UserId) + str(8, ev.SessionId) +
		pageSize(9, ev.Page) + str(10, ev.HttpMethod) + varint(11, uint64(ev.HttpStatus)) +
		varint(12, ev.DurationUs) + clientSize(13, ev.Client) + utmSize(14, ev.Utm) +
		enrichmentSize(16, ev.Enrichment) + len(ev.ProtoReflect().GetUnknown())
	for k, v := range ev.Properties {
		n += nested(15, strAlways(1, k)+strAlways(2, v))
	}
	return n
}

func pageSize(num protowire.Number, p *eventv1.Page) int {
	if p == nil {
		return 0
	}
	return nested(num, str(1, p.Url)+str(2, p.Path)+str(3, p.Title)+str(4, p.Referrer)+
		len(p.ProtoReflect().GetUnknown()))
}

func clientSize(num protowire.Number, c *eventv1.ClientContext) int {
	if c == nil {
		return 0
	}
	return nested(num, str(1, c.UserAgent)+str(2, c.Locale)+varint(3, uint64(c.ScreenWidth))+
		varint(4, uint64(c.ScreenHeight))+str(5, c.TimeZone)+str(6, c.Ip)+len(c.ProtoReflect().GetUnknown()))
}

func utmSize(num protowire.Number, u *eventv1.Utm) int {
	if u == nil {
		return 0
	}
	return nested(num, str(1, u.Source)+str(2, u.Medium)+str(3, u.Campaign)+str(4, u.Term)+
		str(5, u.Content)+len(u.ProtoReflect().GetUnknown()))
}

func enrichmentSize(num protowire.Number, en *eventv1.Enrichment) int {
	if en == nil {
		return 0
	}
	return nested(num, str(1, en.Browser)+str(2, en.BrowserVersion)+str(3, en.Os)+str(4, en.OsVersion)+
		varint(5, uint64(en.DeviceClass))+boolean(6, en.IsBot)+str(7, en.ReferrerHost)+
		boolean(8, en.ClockClamped)+boolean(9, en.VisitorIdDerived)+boolean(10, en.EventIdAssigned)+
		len(en.ProtoReflect().GetUnknown()))
}

func timestampSize(num protowire.Number, ts *timestamppb.Timestamp) int {
	if ts == nil {
		return 0
	}
	return nested(num, varint(1, uint64(ts.Seconds))+varint(2, uint64(int64(ts.Nanos)))+
		len(ts.ProtoReflect().GetUnknown()))
}

// nested is the size of a message field whose body is n bytes.
func nested(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

func str(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return strAlways(num, s)
}

func strAlways(num protowire.Number, s string) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func varint(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func boolean(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return protowire.SizeTag(num) + 1
}
