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
	if got := strings.Join(k.KnownSites(), ","); got != "a,b,c,pub" {
		t.Errorf("KnownSites = %s, want a,b,c,pub", got)
	}
	for _, bad := range []string{"nokeysite", "=a", "k=", "k k=a"} {
		_, err := Parse(bad, "")
		if !errors.Is(err, ErrBadSpec) || strings.Contains(err.Error(), "k k") {
			t.Errorf("Parse(%q) = %v, want ErrBadSpec without the key", bad, err)
		}
	}
}

func TestBearerKey(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc"} {
		if got, err := BearerKey([]string{in}); got != want || err != nil {
			t.Errorf("BearerKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := BearerKey(nil); got != "" || err != nil {
		t.Errorf("BearerKey(nil) = %q, %v; want no key, no error", got, err)
	}
	for _, values := range [][]string{{"Basic abc"}, {"abc"}, {"Bearer a", "Bearer b"}} {
		if _, err := BearerKey(values); err == nil {
			t.Errorf("BearerKey(%q) accepted", values)
		}
	}
}
