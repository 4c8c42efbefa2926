package dlq

import (
	"errors"
	"testing"
)

func TestParseRef(t *testing.T) {
	if r, err := ParseRef("2:17"); err != nil || r != (Ref{Partition: 2, Offset: 17}) || r.String() != "2:17" {
		t.Fatalf("ParseRef(2:17) = %v, %v", r, err)
	}
	for _, bad := range []string{"", "2", "2:", ":3", "a:1", "1:b", "-1:0", "0:-5", "1:2:3"} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrRef) {
			t.Errorf("ParseRef(%q): %v, want ErrRef", bad, err)
		}
	}
}
