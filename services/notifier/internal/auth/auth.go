// Package auth checks the notifier's per-site API keys: a spec
// `key1=siteA,siteB;key2=siteC` (the collector's key format) and the
// metadata `authorization: Bearer <key>`. Keys are kept by their SHA-256,
// so a lookup takes the same time whatever prefix a guess shares with a
// real key.
package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/metadata"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey = errors.New("auth: no API key (send `authorization: Bearer <key>`)")
	ErrUnknownKey = errors.New("auth: unknown API key")
	ErrForbidden  = errors.New("auth: the API key does not own the site")
	ErrBadSpec    = errors.New("auth: malformed API key entry")
	ErrNoKeys     = errors.New("auth: no API keys")
)

// Keyring maps keys to the sites they own. Immutable, safe for concurrent use.
type Keyring struct {
	sites map[[sha256.Size]byte]map[string]bool
}

// Parse reads the spec; entries never echo the key in errors.
func Parse(spec string) (*Keyring, error) {
	k := &Keyring{sites: map[[sha256.Size]byte]map[string]bool{}}
	for i, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, sitesPart, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		var sites []string
		for s := range strings.SplitSeq(sitesPart, ",") {
			if s = strings.TrimSpace(s); s != "" {
				sites = append(sites, s)
			}
		}
		if !ok || key == "" || strings.ContainsAny(key, " \t") || len(sites) == 0 {
			return nil, fmt.Errorf("%w: entry %d: want key=site[,site...]", ErrBadSpec, i+1)
		}
		d := sha256.Sum256([]byte(key))
		if k.sites[d] == nil {
			k.sites[d] = map[string]bool{}
		}
		for _, s := range sites {
			k.sites[d][s] = true
		}
	}
	if len(k.sites) == 0 {
		return nil, ErrNoKeys
	}
	return k, nil
}

// Authorize checks that the one authorization value in md is a key that
// owns site. Two values are refused: a proxy and a client could each have
// added one.
func (k *Keyring) Authorize(md metadata.MD, site string) error {
	values := md.Get("authorization")
	if len(values) != 1 {
		return ErrMissingKey
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "bearer") || key == "" {
		return ErrMissingKey
	}
	sites, found := k.sites[sha256.Sum256([]byte(key))]
	if !found {
		return ErrUnknownKey
	}
	if !sites[site] {
		return ErrForbidden
	}
	return nil
}
