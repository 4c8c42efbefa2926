package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAndAuthorize(t *testing.T) {
	k, err := Parse(" k1 = a, b ; k2=c;", "pub, ")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, site string
		want      error
	}{
		{"k1", "a", nil}, {"k1", "b", nil}, {"k2", "c", nil}, {"", "pub", nil}, {"k2", "pub", nil},
		{"", "a", ErrMissingKey}, {"k3", "a", ErrUnknownKey}, {"k2", "a", ErrForbidden},
	}
	for _, tc := range tests {
		if err := k.Authorize(tc.key, tc.site); !errors.Is(err, tc.want) {
			t.Errorf("Authorize(%q, %q) = %v, want %v", tc.key, tc.site, err, tc.want)
		}
	}
	for _, bad := range []string{"nokeysite", "=a", "k=", "k k=a"} {
		_, err := Parse(bad, "")
		if !errors.Is(err, ErrBadSpec) || strings.Contains(err.Error(), "k k") {
			t.Errorf("Parse(%q) = %v, want ErrBadSpec without the key", bad, err)
		}
	}
}

func TestBearerKey(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "abc": ""} {
		if got := BearerKey([]string{in}); got != want {
			t.Errorf("BearerKey(%q) = %q, want %q", in, got, want)
		}
	}
	if BearerKey(nil) != "" {
		t.Error("BearerKey(nil) is not empty")
	}
}
