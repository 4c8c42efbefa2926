package keyring

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSpecUnionsSitesAndNeverEchoesKeys(t *testing.T) {
	k, err := ParseSpec(" k1=a, b ; k2=c;k1=d;;", "keys")
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 2 {
		t.Fatalf("Len = %d, want 2", k.Len())
	}
	sites, ok := k.Sites("k1")
	if !ok || !sites["a"] || !sites["b"] || !sites["d"] || sites["c"] {
		t.Fatalf("k1 sites = %v, %v", sites, ok)
	}
	if got := strings.Join(k.AllSites(), ","); got != "a,b,c,d" {
		t.Fatalf("AllSites = %s, want a,b,c,d", got)
	}
	if _, ok := k.Sites("k3"); ok {
		t.Fatal("unknown key found")
	}
	for _, bad := range []string{"secret", "secret=", "sec ret=a", "=a"} {
		_, err := ParseSpec(bad, "keys")
		if !errors.Is(err, ErrBadSpec) {
			t.Errorf("%q: err = %v, want ErrBadSpec", bad, err)
		}
		if err != nil && bad == "secret" && strings.Contains(err.Error(), "secret") {
			t.Errorf("error echoes the key: %v", err)
		}
	}
}

func TestParseLinesSkipsCommentsAndBlanks(t *testing.T) {
	k, err := ParseLines([]string{"# comment", "", "k=a"}, "file")
	if err != nil {
		t.Fatal(err)
	}
	if sites, ok := k.Sites("k"); !ok || !sites["a"] {
		t.Fatalf("sites = %v, %v", sites, ok)
	}
}

func TestBearerKey(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		key    string
		err    error
	}{
		{"one bearer", []string{"Bearer k1"}, "k1", nil},
		{"scheme is case-insensitive", []string{"bearer  k1 "}, "k1", nil},
		{"none", nil, "", ErrMissingKey},
		{"two values", []string{"Bearer k1", "Bearer k2"}, "", ErrMultipleKeys},
		{"basic", []string{"Basic abc"}, "", ErrMalformedKey},
		{"no key", []string{"Bearer "}, "", ErrMalformedKey},
	}
	for _, c := range cases {
		key, err := BearerKey(c.values)
		if key != c.key || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%s: BearerKey = %q, %v; want %q, %v", c.name, key, err, c.key, c.err)
		}
	}
}
