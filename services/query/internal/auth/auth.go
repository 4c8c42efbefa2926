// Package auth decides which sites a caller may read. Read keys come from a
// spec string `key1=siteA,siteB;key2=siteC` (the collector's ingest key format,
// but separate keys); public sites are readable without a key. Keys are kept
// by their SHA-256, so a lookup takes the same time whatever prefix a guess
// shares with a real key.
package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey = errors.New("auth: no read key (send `authorization: Bearer <key>`)")
	ErrUnknownKey = errors.New("auth: unknown read key")
	ErrForbidden  = errors.New("auth: the read key may not read this site")
	ErrBadSpec    = errors.New("auth: malformed read key entry")
)

type digest [sha256.Size]byte

// Keyring maps read keys to sites. Immutable, safe for concurrent use.
type Keyring struct {
	keys   map[digest]map[string]bool
	public map[string]bool
}

// Parse builds a keyring from the key spec and a comma-separated list of
// public sites.
func Parse(keySpec, publicSites string) (*Keyring, error) {
	k := &Keyring{keys: map[digest]map[string]bool{}, public: map[string]bool{}}
	for i, entry := range strings.Split(keySpec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, sitesPart, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		sites := splitList(sitesPart)
		if !ok || key == "" || strings.ContainsAny(key, " \t") || len(sites) == 0 {
			// Never echo the key itself.
			return nil, fmt.Errorf("%w: entry %d: want key=site[,site...]", ErrBadSpec, i+1)
		}
		d := sha256.Sum256([]byte(key))
		if k.keys[d] == nil {
			k.keys[d] = map[string]bool{}
		}
		for _, s := range sites {
			k.keys[d][s] = true
		}
	}
	for _, s := range splitList(publicSites) {
		k.public[s] = true
	}
	return k, nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// BearerKey extracts the key of an `authorization: Bearer <key>` value; empty
// when there is none.
func BearerKey(values []string) string {
	if len(values) == 0 {
		return ""
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(key)
}

// Authorize reports nil when key (possibly empty) may read site.
func (k *Keyring) Authorize(key, site string) error {
	if key == "" {
		if k.public[site] {
			return nil
		}
		return ErrMissingKey
	}
	sites, found := k.keys[sha256.Sum256([]byte(key))]
	if !found {
		return ErrUnknownKey
	}
	if sites[site] || k.public[site] {
		return nil
	}
	return ErrForbidden
}

// Sites lists, sorted, the sites key (possibly empty) may read: its own and
// the public ones.
func (k *Keyring) Sites(key string) ([]string, error) {
	set := map[string]bool{}
	if key != "" {
		sites, found := k.keys[sha256.Sum256([]byte(key))]
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
