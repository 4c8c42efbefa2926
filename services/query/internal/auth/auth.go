// Package auth decides which sites a caller may read. Read keys come from a
// spec string `key1=siteA,siteB;key2=siteC` (the collector's ingest key format,
// parsed by internal/keyring, but separate keys); public sites are readable
// without a key.
package auth

import (
	"errors"
	"slices"

	"github.com/footprint/footprint/internal/keyring"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey = errors.New("auth: no read key (send `authorization: Bearer <key>`)")
	ErrUnknownKey = errors.New("auth: unknown read key")
	ErrForbidden  = errors.New("auth: the read key may not read this site")
	ErrBadSpec    = keyring.ErrBadSpec
	// ErrMalformedKey and ErrMultipleKeys refuse an authorization value
	// that is not one `Bearer <key>`, rather than treating it as no key.
	ErrMalformedKey = keyring.ErrMalformedKey
	ErrMultipleKeys = keyring.ErrMultipleKeys
)

// Keyring maps read keys to sites. Immutable, safe for concurrent use.
type Keyring struct {
	keys   *keyring.Keyring
	public map[string]bool
}

// Parse builds a keyring from the key spec and a comma-separated list of
// public sites.
func Parse(keySpec, publicSites string) (*Keyring, error) {
	keys, err := keyring.ParseSpec(keySpec, "read keys")
	if err != nil {
		return nil, err
	}
	k := &Keyring{keys: keys, public: map[string]bool{}}
	for _, s := range keyring.SplitList(publicSites) {
		k.public[s] = true
	}
	return k, nil
}

// BearerKey reads the call's read key from its authorization values: empty
// when there is none (public sites only), an error when the value is
// malformed or repeated.
func BearerKey(values []string) (string, error) {
	key, err := keyring.BearerKey(values)
	if errors.Is(err, keyring.ErrMissingKey) {
		return "", nil
	}
	return key, err
}

// Authorize reports nil when key (possibly empty) may read site.
func (k *Keyring) Authorize(key, site string) error {
	if key == "" {
		if k.public[site] {
			return nil
		}
		return ErrMissingKey
	}
	sites, found := k.keys.Sites(key)
	if !found {
		return ErrUnknownKey
	}
	if sites[site] || k.public[site] {
		return nil
	}
	return ErrForbidden
}

// KnownSites lists, sorted, every site a key or the public list names: the
// sites the service answers for.
func (k *Keyring) KnownSites() []string {
	out := k.keys.AllSites()
	for s := range k.public {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Sites lists, sorted, the sites key (possibly empty) may read: its own and
// the public ones.
func (k *Keyring) Sites(key string) ([]string, error) {
	set := map[string]bool{}
	if key != "" {
		sites, found := k.keys.Sites(key)
		if !found {
			return nil, ErrUnknownKey
		}
		for s := range sites {
			set[s] = true
		}
	}
	for s := range k.public {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}
