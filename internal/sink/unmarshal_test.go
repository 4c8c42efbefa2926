package sink

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// The writers' unmarshal (vtprotobuf's generated code plus wireSchema.check) must
// give proto.Unmarshal's result and verdict for any value: the tests below
// compare the two on random events and on malformed values.

// randomEvent fills every field of an event at random from its descriptor, so
// a field added to the proto is covered without touching the test: absent or
// set, empty or full sub-messages, maps of 0-3 entries, unknown fields at
// every level.
func randomEvent(t testing.TB, r *rand.Rand) *eventv1.Event {
	ev := &eventv1.Event{}
	randomMessage(t, r, ev.ProtoReflect())
	return ev
}

func randomMessage(t testing.TB, r *rand.Rand, m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if r.IntN(5) == 0 {
			continue // absent
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(4) {
				mp.Set(randomScalar(t, r, fd.MapKey()).MapKey(), randomScalar(t, r, fd.MapValue()))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				l.Append(randomScalar(t, r, fd))
			}
		case fd.Message() != nil:
			sub := m.Mutable(fd).Message() // present, maybe empty
			if r.IntN(4) > 0 {
				randomMessage(t, r, sub)
			}
		default:
			m.Set(fd, randomScalar(t, r, fd))
		}
	}
	if r.IntN(4) == 0 {
		m.SetUnknown(randomUnknown(r))
	}
}

func randomScalar(t testing.TB, r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(randomString(r))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(r.Int32N(8) - 1)) // also unknown numbers
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32(int32(r.Uint32()))
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(r.Uint32() >> r.IntN(32))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(int64(r.Uint64()) >> r.IntN(64))
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(r.Uint64() >> r.IntN(64))
	}
	t.Fatalf("randomScalar: no generator for %s (%s): add one", fd.FullName(), fd.Kind())
	return protoreflect.Value{}
}

func randomString(r *rand.Rand) string {
	parts := []string{"", "a", "page_view", "/blog/post", "ünïcode ✓", "日本語", "\x00", "😀", strings.Repeat("x", 200)}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// randomUnknown returns fields the schema does not know, of every wire type.
func randomUnknown(r *rand.Rand) []byte {
	var b []byte
	for range 1 + r.IntN(3) {
		num := protowire.Number(100 + r.IntN(1000))
		if r.IntN(4) == 0 {
			num = protowire.MaxValidNumber - protowire.Number(r.IntN(10))
		}
		switch r.IntN(5) {
		case 0:
			b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), r.Uint64())
		case 1:
			b = protowire.AppendFixed32(protowire.AppendTag(b, num, protowire.Fixed32Type), r.Uint32())
		case 2:
			b = protowire.AppendFixed64(protowire.AppendTag(b, num, protowire.Fixed64Type), r.Uint64())
		case 3:
			b = protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), "\xff not utf-8 is fine here")
		default:
			b = protowire.AppendTag(b, num, protowire.StartGroupType)
			b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), 7)
			b = protowire.AppendTag(b, num, protowire.EndGroupType)
		}
	}
	return b
}

// checkSame fails unless unmarshal and proto.Unmarshal agree on value: both
// reject it, or both accept it with equal events.
func checkSame(t testing.TB, u *unmarshaler, value []byte) {
	t.Helper()
	got, gotErr := u.unmarshal(value)
	want := &eventv1.Event{}
	wantErr := proto.Unmarshal(value, want)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("value %x: unmarshal error %v, proto.Unmarshal error %v", value, gotErr, wantErr)
	case gotErr == nil && !proto.Equal(got, want):
		t.Fatalf("value %x: unmarshal gave %v, proto.Unmarshal %v", value, got, want)
	}
}

func TestUnmarshalEqualsProtoOnRandomEvents(t *testing.T) {
	u := newUnmarshaler()
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		ev := randomEvent(t, r)
		value, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := u.unmarshal(value)
		if err != nil {
			t.Fatalf("event %v: %v", ev, err)
		}
		if !proto.Equal(got, ev) {
			t.Fatalf("unmarshal gave %v, want %v", got, ev)
		}
		checkSame(t, u, value)
	}
}

func TestUnmarshalEqualsProtoOnDamagedEvents(t *testing.T) {
	u := newUnmarshaler()
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		value, err := proto.Marshal(randomEvent(t, r))
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(value) { // every truncation
			checkSame(t, u, value[:n])
		}
		for range 50 { // flipped, inserted and dropped bytes
			v := append([]byte(nil), value...)
			if len(v) > 0 {
				i := r.IntN(len(v))
				switch r.IntN(3) {
				case 0:
					v[i] ^= byte(1 + r.IntN(255))
				case 1:
					v = append(v[:i], append([]byte{byte(r.Uint32())}, v[i:]...)...)
				default:
					v = append(v[:i], v[i+1:]...)
				}
			}
			checkSame(t, u, v)
		}
	}
	for range 20000 { // random bytes
		v := make([]byte, r.IntN(64))
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		checkSame(t, u, v)
	}
}

// malformedCases are values on which vtprotobuf's generated code and
// proto.Unmarshal differ without the check or the fallback; accept is whether
// proto.Unmarshal accepts them.
func malformedCases() []struct {
	name   string
	value  []byte
	accept bool
} {
	tag := protowire.AppendTag
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(tag(nil, num, protowire.BytesType), s)
	}
	sub := func(num protowire.Number, inner []byte) []byte {
		return protowire.AppendBytes(tag(nil, num, protowire.BytesType), inner)
	}
	entry := func(k, v string) []byte { return sub(15, append(str(1, k), str(2, v)...)) }
	return []struct {
		name   string
		value  []byte
		accept bool
	}{
		{"invalid utf-8 in name", str(3, "page\xffview"), false},
		{"invalid utf-8 in page.path", sub(9, str(2, "/\xc3")), false},
		{"invalid utf-8 in a property key", entry("k\xff", "v"), false},
		{"invalid utf-8 in a property value", entry("k", "\xed\xa0\x80"), false},
		{"known field with another wire type", protowire.AppendVarint(tag(nil, 3, protowire.VarintType), 1), true},
		{"sub-message field as a varint", protowire.AppendVarint(tag(nil, 9, protowire.VarintType), 1), true},
		{"field number above the maximum", protowire.AppendVarint(tag(nil, protowire.MaxValidNumber+1, protowire.VarintType), 1), false},
		{"field number zero", protowire.AppendVarint(tag(nil, 0, protowire.VarintType), 1), false},
		{"overlong varint", append(tag(nil, 11, protowire.VarintType), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), false},
		{"overlong varint in an unknown field", append(tag(nil, 99, protowire.VarintType), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), false},
		{"end group alone", tag(nil, 99, protowire.EndGroupType), false},
		{"group ended by another number", append(tag(nil, 99, protowire.StartGroupType), tag(nil, 98, protowire.EndGroupType)...), false},
		{"group never ended", tag(nil, 99, protowire.StartGroupType), false},
		{"wire type 6", []byte{0x0e}, false},
		{"length past the end", append(tag(nil, 3, protowire.BytesType), 5, 'a'), false},
	}
}

func TestUnmarshalEqualsProtoOnMalformedValues(t *testing.T) {
	u := newUnmarshaler()
	for _, tc := range malformedCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := &eventv1.Event{}
			if accepted := proto.Unmarshal(tc.value, want) == nil; accepted != tc.accept {
				t.Fatalf("proto.Unmarshal accepted=%v, the case says %v", accepted, tc.accept)
			}
			checkSame(t, u, tc.value)
		})
	}
}

// The stores never see what proto.Unmarshal rejects: Decode reports it as
// undecodable (a dead letter), also after an otherwise storable event.
func TestDecodeRejectsWhatProtoRejects(t *testing.T) {
	d := newDecoder(t, nil)
	valid := marshal(t, storableEvent())
	for _, tc := range malformedCases() {
		value := append(append([]byte(nil), valid...), tc.value...)
		_, err := d.Decode(value)
		if tc.accept {
			if errors.Is(err, ErrUndecodable) {
				t.Errorf("%s: %v, proto.Unmarshal accepts it", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrUndecodable) {
			t.Errorf("%s: error %v, want %v", tc.name, err, ErrUndecodable)
		}
	}
}

// FuzzUnmarshal compares unmarshal with proto.Unmarshal on any value. Not in
// CI; run it for a while with
// go test -run '^$' -fuzz FuzzUnmarshal -fuzztime 30s ./sink/
func FuzzUnmarshal(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		value, err := proto.Marshal(randomEvent(f, r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	for _, tc := range malformedCases() {
		f.Add(tc.value)
	}
	u := newUnmarshaler()
	f.Fuzz(func(t *testing.T, value []byte) { checkSame(t, u, value) })
}
