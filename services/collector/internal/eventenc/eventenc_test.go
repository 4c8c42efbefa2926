package eventenc

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// fill sets every field of m (recursively) to a non-zero value and adds an
// unknown field, so that a field Append leaves out is noticed.
func fill(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			mp.Set(protoreflect.ValueOfString("k-"+string(fd.Name())).MapKey(), protoreflect.ValueOfString("v"))
		case fd.IsList():
			panic("eventenc: repeated field " + string(fd.FullName()) + " is not written by Append")
		case fd.Kind() == protoreflect.MessageKind:
			fill(m.Mutable(fd).Message(), depth+1)
		default:
			m.Set(fd, scalar(fd))
		}
	}
	unknown := protowire.AppendTag(nil, 1000+protowire.Number(depth), protowire.BytesType)
	m.SetUnknown(protowire.AppendString(unknown, "unknown"))
}

func scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("value of " + string(fd.Name()))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32(-7) // a negative int32 takes ten bytes
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(1_700_000_000)
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(200)
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(1 << 40)
	}
	panic("eventenc: field " + string(fd.FullName()) + " of kind " + fd.Kind().String() + " is not written by Append")
}

// TestAppendCoversEveryField: an event with every field of every nested
// message set (and unknown fields on each) encodes to the same bytes as
// proto.Marshal. A field added to the schema fails here until Append writes it.
func TestAppendCoversEveryField(t *testing.T) {
	ev := &eventv1.Event{}
	fill(ev.ProtoReflect(), 0)
	got, err := Append(nil, ev)
	if err != nil {
		t.Fatal(err)
	}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Append differs from proto.Marshal\n got %x\nwant %x", got, want)
	}
	if Size(ev) != len(want) {
		t.Fatalf("Size = %d, the encoding has %d bytes", Size(ev), len(want))
	}
}

// TestAppendDecodesLikeProtoMarshal: events of many shapes decode to
// exactly the event, and to what proto.Marshal's bytes decode to.
func TestAppendDecodesLikeProtoMarshal(t *testing.T) {
	long := strings.Repeat("é", 100)    // a 200-byte string: two-byte lengths
	huge := strings.Repeat("x", 20_000) // three-byte lengths, in a nested message
	cases := map[string]*eventv1.Event{
		"empty":                {},
		"present empty nested": {Page: &eventv1.Page{}, Client: &eventv1.ClientContext{}, Utm: &eventv1.Utm{}, Enrichment: &eventv1.Enrichment{}, OccurredAt: &timestamppb.Timestamp{}},
		"negative time":        {OccurredAt: &timestamppb.Timestamp{Seconds: -62135596800, Nanos: 1}, ReceivedAt: &timestamppb.Timestamp{Seconds: 1, Nanos: 999_999_999}},
		"long strings":         {EventId: long, Page: &eventv1.Page{Url: long, Title: huge}, Client: &eventv1.ClientContext{UserAgent: long}},
		"many properties":      {Properties: map[string]string{"a": "1", "": "empty key", "empty value": "", long: huge}},
		"enum out of range":    {Enrichment: &eventv1.Enrichment{DeviceClass: -3, IsBot: true}},
		"typical": {
			EventId: "0193a5b2-7c4d-4e8f-9a0b-00000000abcd", SiteId: "shop", Name: "page_view",
			OccurredAt: timestamppb.New(timestamppb.Now().AsTime()), ReceivedAt: timestamppb.Now(),
			VisitorId: "v1", HttpMethod: "GET", HttpStatus: 200, DurationUs: 1234,
			Page:       &eventv1.Page{Url: "https://shop.example/p?utm_source=x", Path: "/p", Referrer: "https://www.google.com/"},
			Client:     &eventv1.ClientContext{UserAgent: "Mozilla/5.0", Locale: "en-GB", ScreenWidth: 390, ScreenHeight: 844},
			Utm:        &eventv1.Utm{Source: "x"},
			Enrichment: &eventv1.Enrichment{Browser: "Chrome", DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_MOBILE, ReferrerHost: "google.com"},
		},
	}
	unknownPage := &eventv1.Page{Url: "/u"}
	unknownPage.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 77, protowire.VarintType), 5))
	cases["unknown fields"] = &eventv1.Event{Page: unknownPage}
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			prefix := []byte("key/")
			got, err := Append(prefix, ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:len(prefix)], prefix) {
				t.Fatal("Append changed the bytes before it")
			}
			var decoded eventv1.Event
			if err := proto.Unmarshal(got[len(prefix):], &decoded); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&decoded, ev) {
				t.Fatalf("decodes to\n%v\nwant\n%v", &decoded, ev)
			}
			if want, _ := proto.Marshal(ev); len(want) != len(got)-len(prefix) || Size(ev) != len(want) {
				t.Errorf("%d bytes, Size says %d, proto.Marshal writes %d", len(got)-len(prefix), Size(ev), len(want))
			}
		})
	}
}

func TestAppendRefusesInvalidUTF8LikeProtoMarshal(t *testing.T) {
	for name, ev := range map[string]*eventv1.Event{
		"top level":      {SiteId: "a\xffb"},
		"nested":         {Page: &eventv1.Page{Path: "/\xff"}},
		"property key":   {Properties: map[string]string{"\xfe": "v"}},
		"property value": {Properties: map[string]string{"k": "\xfe"}},
	} {
		if _, err := proto.Marshal(ev); err == nil {
			t.Fatalf("%s: proto.Marshal accepts it; the test is wrong", name)
		}
		if got, err := Append([]byte("k"), ev); !errors.Is(err, ErrInvalidUTF8) || string(got) != "k" {
			t.Errorf("%s: Append = %q, %v; want the buffer unchanged and ErrInvalidUTF8", name, got, err)
		}
	}
}
