package server

import (
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// undecodableField is the highest legal protobuf field number. tolerantCodec
// stores the decode error of a request under it, as an unknown field.
const undecodableField protowire.Number = protowire.MaxValidNumber

// tolerantCodec is the proto codec, except that a request that does not
// decode reaches the handler (empty, carrying the error) instead of failing
// inside gRPC. gRPC reports codec errors as Internal; a malformed request is
// the client's fault and must be InvalidArgument, which only the handler can
// answer.
type tolerantCodec struct{}

func (tolerantCodec) base() encoding.CodecV2 { return encoding.GetCodecV2(protocodec.Name) }

func (c tolerantCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base().Marshal(v) }

func (c tolerantCodec) Name() string { return protocodec.Name }

func (c tolerantCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base().Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	proto.Reset(m)
	marker := protowire.AppendTag(nil, undecodableField, protowire.BytesType)
	marker = protowire.AppendString(marker, err.Error())
	m.ProtoReflect().SetUnknown(marker)
	return nil
}

// undecodable reports whether tolerantCodec marked m, and why. A client that
// sends field 536870911 itself is treated the same: that field is never valid.
func undecodable(m proto.Message) (string, bool) {
	raw := m.ProtoReflect().GetUnknown()
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return "", false
		}
		raw = raw[n:]
		if num == undecodableField {
			if typ == protowire.BytesType {
				if reason, k := protowire.ConsumeString(raw); k >= 0 {
					return reason, true
				}
			}
			return "reserved field number", true
		}
		skip := protowire.ConsumeFieldValue(num, typ, raw)
		if skip < 0 {
			return "", false
		}
		raw = raw[skip:]
	}
	return "", false
}
