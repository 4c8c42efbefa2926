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
//   - when it accepts one, wireSchema.check rejects what it lets through and
//     proto.Unmarshal does not: strings that are not UTF-8, field numbers
//     above the maximum, overlong varints, unbalanced groups;
//   - when it drops something: the generated code for google.protobuf
//     messages (Timestamp) cannot keep their unknown fields, which check
//     finds, and proto.Unmarshal decodes such a value.

// errFieldNumber is a tag whose field number protobuf does not allow.
var errFieldNumber = errors.New("invalid field number")

// errUTF8 is a string field whose value is not UTF-8, which proto3 forbids.
var errUTF8 = errors.New("string field contains invalid UTF-8")

// errDepth is a value nested deeper than proto.Unmarshal accepts.
var errDepth = errors.New("exceeds maximum recursion depth")

// unmarshaler decodes values into events, with proto.Unmarshal's result
// and verdict. It is safe for concurrent use.
type unmarshaler struct {
	schema *wireSchema // of eventv1.Event
}

func newUnmarshaler() *unmarshaler {
	return &unmarshaler{schema: newWireSchema((&eventv1.Event{}).ProtoReflect().Descriptor(), map[protoreflect.FullName]*wireSchema{})}
}

func (u *unmarshaler) unmarshal(value []byte) (*eventv1.Event, error) {
	ev := &eventv1.Event{}
	if err := ev.UnmarshalVTUnsafe(value); err != nil {
		return unmarshalProto(value)
	}
	dropped, err := u.schema.check(value, protowire.DefaultRecursionLimit)
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

// wireSchema is what check needs to know of a message type, looked up once
// from its descriptor (descriptor calls per field cost more than the check).
type wireSchema struct {
	wellKnown bool        // a google.protobuf message: the generated code drops its unknown fields
	fields    []wireField // by field number; the zero wireField is an unknown field
}

// wireField is one known field of a wireSchema.
type wireField struct {
	known bool
	typ   protowire.Type // the wire type of its kind; another one makes it an unknown field
	utf8  bool           // a proto3 string: must be UTF-8
	sub   *wireSchema    // a message or map entry
}

// newWireSchema builds the schema of md; seen holds the schemas built so
// far, for recursive types.
func newWireSchema(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]*wireSchema) *wireSchema {
	if s, ok := seen[md.FullName()]; ok {
		return s
	}
	s := &wireSchema{wellKnown: md.ParentFile().Package() == "google.protobuf"}
	seen[md.FullName()] = s
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		for int(fd.Number()) >= len(s.fields) {
			s.fields = append(s.fields, wireField{})
		}
		f := wireField{known: true, typ: wireType(fd.Kind())}
		f.utf8 = fd.Kind() == protoreflect.StringKind && fd.ParentFile().Syntax() == protoreflect.Proto3
		if fd.Message() != nil { // map entries too
			f.sub = newWireSchema(fd.Message(), seen)
		}
		s.fields[fd.Number()] = f
	}
	return s
}

// wireType is the wire type of a field of kind k (not packed).
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.VarintType
}

// check walks the encoded message b as proto.Unmarshal reads it, without
// building anything, and returns the error proto.Unmarshal would:
// protowire's parsers apply its limits to tags, varints, lengths and groups;
// proto3 strings must be UTF-8; sub-messages and map entries are walked with
// their own schema. dropped reports an unknown field in a google.protobuf
// message, which the generated code drops.
func (s *wireSchema) check(b []byte, depth int) (dropped bool, err error) {
	if depth <= 0 {
		return false, errDepth
	}
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return false, protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber {
			return false, errFieldNumber
		}
		b = b[n:]
		var f wireField
		if int(num) < len(s.fields) && s.fields[num].typ == typ {
			f = s.fields[num]
		}
		dropped = dropped || s.wellKnown && !f.known
		if typ != protowire.BytesType {
			if n = consumeScalar(num, typ, b); n < 0 {
				return false, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return false, protowire.ParseError(n)
		}
		if f.known {
			d, err := f.checkBytes(v, depth)
			if err != nil {
				return false, err
			}
			dropped = dropped || d
		}
		b = b[n:]
	}
	return dropped, nil
}

// consumeScalar is protowire.ConsumeFieldValue for all but length-delimited
// values, with a shortcut for one-byte varints (most of an event's).
func consumeScalar(num protowire.Number, typ protowire.Type, b []byte) int {
	if typ == protowire.VarintType && len(b) > 0 && b[0] < 0x80 {
		return 1
	}
	return protowire.ConsumeFieldValue(num, typ, b)
}

// consumeTag is protowire.ConsumeTag with a shortcut for one-byte tags
// (field numbers 1 to 15), most of an event's.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	if b[0] < 0x80 && b[0]>>3 != 0 {
		return protowire.Number(b[0] >> 3), protowire.Type(b[0] & 7), 1
	}
	return protowire.ConsumeTag(b)
}

// checkBytes checks the value v of a known length-delimited field.
func (f wireField) checkBytes(v []byte, depth int) (dropped bool, err error) {
	switch {
	case f.sub != nil:
		return f.sub.check(v, depth-1)
	case f.utf8 && !utf8.Valid(v):
		return false, errUTF8
	}
	return false, nil
}
