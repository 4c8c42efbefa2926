package auth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/metadata"
)

func bearer(key string) metadata.MD { return metadata.Pairs("authorization", "Bearer "+key) }

func TestLoadEnvAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	content := "# production keys\n\nkey_file = site-f, site-g\nkey_both=site-x\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := Load(Config{Keys: "key1=siteA,siteB; key2=siteC;key_both=site-y", KeysFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 4 {
		t.Fatalf("%d keys", k.Len())
	}
	for _, tc := range []struct {
		key   string
		owns  []string
		notOf []string
	}{
		{"key1", []string{"siteA", "siteB"}, []string{"siteC", "site-f"}},
		{"key2", []string{"siteC"}, []string{"siteA"}},
		{"key_file", []string{"site-f", "site-g"}, []string{"siteA"}},
		{"key_both", []string{"site-x", "site-y"}, []string{"siteC"}},
	} {
		p, err := k.Authenticate(bearer(tc.key))
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		for _, s := range tc.owns {
			if !p.Owns(s) {
				t.Errorf("%s should own %s", tc.key, s)
			}
		}
		for _, s := range tc.notOf {
			if p.Owns(s) {
				t.Errorf("%s should not own %s", tc.key, s)
			}
		}
	}
}

func TestAuthenticateErrors(t *testing.T) {
	k := NewKeyring(map[string][]string{"good": {"s"}})
	for name, tc := range map[string]struct {
		md   metadata.MD
		want error
	}{
		"no metadata":   {nil, ErrMissingKey},
		"no header":     {metadata.Pairs("other", "x"), ErrMissingKey},
		"empty bearer":  {metadata.Pairs("authorization", "Bearer "), ErrMalformedKey},
		"basic scheme":  {metadata.Pairs("authorization", "Basic good"), ErrMalformedKey},
		"bare key":      {metadata.Pairs("authorization", "good"), ErrMalformedKey},
		"unknown key":   {bearer("bad"), ErrUnknownKey},
		"prefix of key": {bearer("goo"), ErrUnknownKey},
		// Judged as a whole, not by the first value: a good key first does not help.
		"good then bad": {metadata.Pairs("authorization", "Bearer good", "authorization", "Bearer bad"), ErrMultipleKeys},
		"bad then good": {metadata.Pairs("authorization", "Bearer bad", "authorization", "Bearer good"), ErrMultipleKeys},
		"good twice":    {metadata.Pairs("authorization", "Bearer good", "authorization", "Bearer good"), ErrMultipleKeys},
	} {
		if _, err := k.Authenticate(tc.md); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	if _, err := k.Authenticate(metadata.Pairs("authorization", "bearer good")); err != nil {
		t.Errorf("lower-case scheme: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  Config
		want error
	}{
		"nothing":      {Config{}, ErrNoKeys},
		"blank":        {Config{Keys: " ; "}, nil}, // Validate passes the syntax; Load finds no key
		"no equals":    {Config{Keys: "key1"}, ErrBadSpec},
		"no site":      {Config{Keys: "key1="}, ErrBadSpec},
		"empty key":    {Config{Keys: "=site"}, ErrBadSpec},
		"space in key": {Config{Keys: "a b=site"}, ErrBadSpec},
		"file only":    {Config{KeysFile: "/nonexistent"}, nil},
		"good":         {Config{Keys: "k=s"}, nil},
	} {
		err := tc.cfg.Validate()
		if tc.want == nil && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	if _, err := Load(Config{Keys: " ; "}); !errors.Is(err, ErrNoKeys) {
		t.Errorf("blank keys: %v", err)
	}
	if _, err := Load(Config{KeysFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("missing file loaded")
	}
	file := filepath.Join(t.TempDir(), "keys")
	_ = os.WriteFile(file, []byte("ok=s\nbroken\n"), 0o600)
	if _, err := Load(Config{KeysFile: file}); !errors.Is(err, ErrBadSpec) {
		t.Errorf("bad line: %v", err)
	}
}
