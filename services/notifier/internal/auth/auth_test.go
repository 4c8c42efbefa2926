package auth

import (
	"errors"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/footprint/footprint/internal/keyring"
)

func TestKeyring(t *testing.T) {
	k, err := Parse("k1=demo,shop; k2=blog")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		md   metadata.MD
		site string
		want error
	}{
		{metadata.Pairs("authorization", "Bearer k1"), "shop", nil},
		{metadata.Pairs("authorization", "bearer k2"), "blog", nil},
		{metadata.Pairs("authorization", "Bearer k2"), "demo", ErrForbidden},
		{metadata.Pairs("authorization", "Bearer nope"), "demo", ErrUnknownKey},
		{metadata.MD{}, "demo", ErrMissingKey},
		{metadata.Pairs("authorization", "Bearer k1", "authorization", "Bearer k1"), "demo", keyring.ErrMultipleKeys},
		{metadata.Pairs("authorization", "Basic k1"), "demo", keyring.ErrMalformedKey},
	}
	for i, c := range cases {
		if got := k.Authorize(c.md, c.site); !errors.Is(got, c.want) && got != c.want {
			t.Errorf("case %d: got %v, want %v", i, got, c.want)
		}
	}
	for _, bad := range []string{"", "k1", "k1=", "=demo", "a b=demo"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
