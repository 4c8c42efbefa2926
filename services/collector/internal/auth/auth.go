// Package auth maps API keys to the sites they may write to.
//
// Keys come from a spec string `key1=siteA,siteB;key2=siteC` (environment)
// and/or a file with one `key=site,site` per line (blank lines and lines
// starting with # are ignored). A key listed in both gets the union of sites.
// Keys are stored by their SHA-256, so looking one up takes the same time
// whatever prefix a guess shares with a real key.
package auth

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/metadata"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey     = errors.New("auth: no API key (send `authorization: Bearer <key>`)")
	ErrMalformedKey   = errors.New("auth: malformed authorization (send `authorization: Bearer <key>`)")
	ErrMultipleKeys   = errors.New("auth: more than one authorization value (send exactly one)")
	ErrUnknownKey     = errors.New("auth: unknown API key")
	ErrSiteNotAllowed = errors.New("auth: the API key does not own the site")
	ErrNoKeys         = errors.New("auth: no API keys configured (set the keys or the keys file)")
	ErrBadSpec        = errors.New("auth: malformed API key entry")
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
	if _, err := parse(strings.Split(c.Keys, ";"), "keys"); err != nil {
		return err
	}
	return nil
}

type keyDigest [sha256.Size]byte

// Keyring answers which sites a key owns. It is immutable and safe for concurrent use.
type Keyring struct {
	sites    map[keyDigest]map[string]bool
	failures *Failures // nil: failures are only returned
}

// WithFailures returns a keyring with the same keys that reports every
// failed authentication to f (a metric by reason, a rate-limited log line).
func (k *Keyring) WithFailures(f *Failures) *Keyring {
	return &Keyring{sites: k.sites, failures: f}
}

// Load builds the keyring from the spec string and the file.
func Load(cfg Config) (*Keyring, error) {
	k := &Keyring{sites: map[keyDigest]map[string]bool{}}
	fromEnv, err := parse(strings.Split(cfg.Keys, ";"), "keys")
	if err != nil {
		return nil, err
	}
	k.add(fromEnv)
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
		fromFile, err := parse(lines, cfg.KeysFile)
		if err != nil {
			return nil, err
		}
		k.add(fromFile)
	}
	if len(k.sites) == 0 {
		return nil, ErrNoKeys
	}
	return k, nil
}

// NewKeyring builds a keyring from key -> sites, for tests and embedding.
func NewKeyring(keys map[string][]string) *Keyring {
	k := &Keyring{sites: map[keyDigest]map[string]bool{}}
	k.add(keys)
	return k
}

// Len is the number of distinct keys.
func (k *Keyring) Len() int { return len(k.sites) }

func (k *Keyring) add(keys map[string][]string) {
	for key, sites := range keys {
		d := sha256.Sum256([]byte(key))
		if k.sites[d] == nil {
			k.sites[d] = map[string]bool{}
		}
		for _, s := range sites {
			k.sites[d][s] = true
		}
	}
}

// parse reads `key=site,site` entries; source names them in errors (never the key itself).
func parse(entries []string, source string) (map[string][]string, error) {
	out := map[string][]string{}
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		key, sitesPart, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%w: %s entry %d: want key=site[,site...]", ErrBadSpec, source, i+1)
		}
		var sites []string
		for s := range strings.SplitSeq(sitesPart, ",") {
			if s = strings.TrimSpace(s); s != "" {
				sites = append(sites, s)
			}
		}
		if len(sites) == 0 {
			return nil, fmt.Errorf("%w: %s entry %d: no site", ErrBadSpec, source, i+1)
		}
		out[key] = append(out[key], sites...)
	}
	return out, nil
}

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
	values := md.Get("authorization")
	switch {
	case len(values) == 0:
		return Principal{}, ErrMissingKey
	case len(values) > 1:
		return Principal{}, ErrMultipleKeys
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "bearer") || key == "" {
		return Principal{}, ErrMalformedKey
	}
	sites, found := k.sites[sha256.Sum256([]byte(key))]
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
