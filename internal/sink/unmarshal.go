package sink

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// Decoding every message with proto.Unmarshal was a quarter of ch-writer's
// CPU: it copies every string and goes through the reflection tables. The
// writers decode with the unmarshaler vtprotobuf generates from the same
// .proto (buf.gen.yaml), whose strings alias the message value instead of
// copying it.
//
// Aliasing is safe because nothing ever writes to a message value:
// confluent-kafka-go copies each message out of librdkafka into a fresh Go
// slice (C.GoBytes in setupMessageFromC) that it never touches again, the
// loop only reads it (its length, Decode, and the DLQ producer, which
// librdkafka copies with RD_KAFKA_MSG_F_COPY), and a slice the garbage
// collector keeps alive for as long as any string of the event (or a batch's
// event_id key) points into it.
//
// The result and the verdict are proto.Unmarshal's (the equivalence tests
// and FuzzUnmarshal in unmarshal_test.go check it). The generated code is
// stricter in one way and laxer in others, so:
//   - when it rejects a value (a known field with another wire type, which
//     proto.Unmarshal keeps as an unknown field), proto.Unmarshal decides;
//   - when it accepts one, checkWire rejects what it lets through and
//     proto.Unmarshal does not: strings that are not UTF-8, field numbers
//     above the maximum, overlong varints, unbalanced groups;
//   - when it drops something: the generated code for google.protobuf
//     messages (Timestamp) cannot keep their unknown fields, which checkWire
//     finds, and proto.Unmarshal decodes such a value.

// errFieldNumber is a tag whose field number protobuf does not allow.
var errFieldNumber = errors.New("invalid field number")

// errUTF8 is a string field whose value is not UTF-8, which proto3 forbids.
var errUTF8 = errors.New("string field contains invalid UTF-8")

// errDepth is a value nested deeper than proto.Unmarshal accepts.
var errDepth = errors.New("exceeds maximum recursion depth")

// unmarshal decodes value into an event, with proto.Unmarshal's result and
// verdict.
func unmarshal(value []byte) (*eventv1.Event, error) {
	ev := &eventv1.Event{}
	if err := ev.UnmarshalVTUnsafe(value); err != nil {
		return unmarshalProto(value)
	}
	dropped, err := checkWire(value, ev.ProtoReflect().Descriptor(), protowire.DefaultRecursionLimit)
	if err != nil {
		return nil, err
	}
	if dropped {
		return unmarshalProto(value)
	}
	return ev, nil
}

func unmarshalProto(value []byte) (*eventv1.Event, error) {
	ev := &eventv1.Event{}
	if err := proto.Unmarshal(value, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// checkWire walks the encoded message b of type md as proto.Unmarshal reads
// it, without building anything, and returns the error proto.Unmarshal
// would: protowire's parsers apply its limits to tags, varints, lengths and
// groups; string fields of proto3 files must be UTF-8; sub-messages and map
// entries are walked with their own descriptor. dropped reports an unknown
// field in a google.protobuf message, which the generated code drops.
func checkWire(b []byte, md protoreflect.MessageDescriptor, depth int) (dropped bool, err error) {
	if depth <= 0 {
		return false, errDepth
	}
	wellKnown := md.ParentFile().Package() == "google.protobuf"
	fields := md.Fields()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false, protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber {
			return false, errFieldNumber
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return false, protowire.ParseError(n)
		}
		fd := fields.ByNumber(num)
		dropped = dropped || wellKnown && (fd == nil || !wireMatches(fd, typ))
		if fd != nil && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			d, err := checkBytesField(v, fd, depth)
			if err != nil {
				return false, err
			}
			dropped = dropped || d
		}
		b = b[n:]
	}
	return dropped, nil
}

// wireMatches reports whether typ is the wire type of fd's kind (scalar
// kinds of the well-known messages; a wrong one is an unknown field).
func wireMatches(fd protoreflect.FieldDescriptor, typ protowire.Type) bool {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return typ == protowire.BytesType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return typ == protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return typ == protowire.Fixed64Type
	case protoreflect.GroupKind:
		return typ == protowire.StartGroupType
	}
	return typ == protowire.VarintType
}

// checkBytesField checks the payload v of a known length-delimited field.
func checkBytesField(v []byte, fd protoreflect.FieldDescriptor, depth int) (dropped bool, err error) {
	switch fd.Kind() {
	case protoreflect.MessageKind: // map entries too
		return checkWire(v, fd.Message(), depth-1)
	case protoreflect.StringKind:
		if fd.ParentFile().Syntax() == protoreflect.Proto3 && !utf8.Valid(v) {
			return false, errUTF8
		}
	}
	return false, nil
}
