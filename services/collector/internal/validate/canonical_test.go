package validate

import (
	"testing"

	"github.com/google/uuid"
)

func TestEncodeCanonicalIsUUIDString(t *testing.T) {
	ids := []uuid.UUID{uuid.Max, uuid.MustParse("0193A5B2-7C4D-4E8F-9A0B-00000000ABCD")}
	for range 100 {
		ids = append(ids, uuid.New())
	}
	for _, id := range ids {
		var got [36]byte
		encodeCanonical(&got, id)
		if string(got[:]) != id.String() {
			t.Fatalf("encodeCanonical(%v) = %s", id, got[:])
		}
	}
}

func TestPrepareKeepsOrCanonicalisesEventID(t *testing.T) {
	v, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"0193a5b2-7c4d-4e8f-9a0b-00000000abcd", "0193a5b2-7c4d-4e8f-9a0b-00000000abcd"},
		{"0193A5B2-7C4D-4E8F-9A0B-00000000ABCD", "0193a5b2-7c4d-4e8f-9a0b-00000000abcd"},
	} {
		ev := valid()
		ev.EventId = tc.in
		if _, rej := v.Prepare(ev, received); rej != nil {
			t.Fatal(rej)
		}
		if ev.EventId != tc.want {
			t.Errorf("event_id %q became %q, want %q", tc.in, ev.EventId, tc.want)
		}
	}
}
