// Package auth maps API keys to the sites they may write to.
//
// Keys come from a spec string `key1=siteA,siteB;key2=siteC` (environment)
// and/or a file with one `key=site,site` per line; internal/keyring parses
// them and keeps only their SHA-256. A key listed in both gets the union of
// sites.
package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/footprint/footprint/internal/keyring"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey     = keyring.ErrMissingKey
	ErrMalformedKey   = keyring.ErrMalformedKey
	ErrMultipleKeys   = keyring.ErrMultipleKeys
	ErrBadSpec        = keyring.ErrBadSpec
	ErrUnknownKey     = errors.New("auth: unknown API key")
	ErrSiteNotAllowed = errors.New("auth: the API key does not own the site")
	ErrNoKeys         = errors.New("auth: no API keys configured (set the keys or the keys file)")
)

// Config says where the API keys come from.
type Config struct {
	// Keys is `key1=siteA,siteB;key2=siteC`.
	Keys string
	// KeysFile is a file with one `key=siteA,siteB` per line.
	KeysFile string
}

// DefaultConfig has no keys: an operator must configure some.
func DefaultConfig() Config { return Config{} }

// Validate reports configuration errors (it does not read the file).
func (c Config) Validate() error {
	if strings.TrimSpace(c.Keys) == "" && c.KeysFile == "" {
		return ErrNoKeys
	}
	if _, err := keyring.ParseSpec(c.Keys, "keys"); err != nil {
		return err
	}
	return nil
}

// Keyring answers which sites a key owns. It is immutable and safe for concurrent use.
type Keyring struct {
	keys     *keyring.Keyring
	failures *Failures // nil: failures are only returned
}

// WithFailures returns a keyring with the same keys that reports every
// failed authentication to f (a metric by reason, a rate-limited log line).
func (k *Keyring) WithFailures(f *Failures) *Keyring {
	return &Keyring{keys: k.keys, failures: f}
}

// Load builds the keyring from the spec string and the file.
func Load(cfg Config) (*Keyring, error) {
	keys, err := keyring.ParseSpec(cfg.Keys, "keys")
	if err != nil {
		return nil, err
	}
	if cfg.KeysFile != "" {
		data, err := os.ReadFile(cfg.KeysFile)
		if err != nil {
			return nil, fmt.Errorf("read api keys file: %w", err)
		}
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := keys.AddLines(lines, cfg.KeysFile); err != nil {
			return nil, err
		}
	}
	if keys.Len() == 0 {
		return nil, ErrNoKeys
	}
	return &Keyring{keys: keys}, nil
}

// NewKeyring builds a keyring from key -> sites, for tests and embedding.
func NewKeyring(keys map[string][]string) *Keyring {
	return &Keyring{keys: keyring.New(keys)}
}

// Len is the number of distinct keys.
func (k *Keyring) Len() int { return k.keys.Len() }

// Principal is an authenticated caller: the set of sites its key owns.
type Principal struct {
	sites map[string]bool
}

// Owns reports whether the caller may write events of site.
func (p Principal) Owns(site string) bool { return p.sites[site] }

// Authenticate finds the key of the one `authorization: Bearer <key>`
// metadata entry. Two or more entries are refused, not judged by the first:
// a proxy and a client could each have added one.
func (k *Keyring) Authenticate(md metadata.MD) (Principal, error) {
	p, err := k.authenticate(md)
	if err != nil {
		k.failures.record(err, md)
	}
	return p, err
}

func (k *Keyring) authenticate(md metadata.MD) (Principal, error) {
	key, err := keyring.BearerKey(md.Get("authorization"))
	if err != nil {
		return Principal{}, err
	}
	sites, found := k.keys.Sites(key)
	if !found {
		return Principal{}, ErrUnknownKey
	}
	return Principal{sites: sites}, nil
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
