// Package auth checks the notifier's per-site API keys: a spec
// `key1=siteA,siteB;key2=siteC` (the collector's key format, parsed by
// internal/keyring) and the one `authorization: Bearer <key>` value of a call.
package auth

import (
	"errors"

	"google.golang.org/grpc/metadata"

	"github.com/footprint/footprint/internal/keyring"
)

// Errors of key lookup and configuration.
var (
	ErrMissingKey = keyring.ErrMissingKey
	ErrUnknownKey = errors.New("auth: unknown API key")
	ErrForbidden  = errors.New("auth: the API key does not own the site")
	ErrBadSpec    = keyring.ErrBadSpec
	ErrNoKeys     = errors.New("auth: no API keys")
)

// Keyring maps keys to the sites they own. Immutable, safe for concurrent use.
type Keyring struct {
	keys *keyring.Keyring
}

// Parse reads the spec; errors never echo a key.
func Parse(spec string) (*Keyring, error) {
	keys, err := keyring.ParseSpec(spec, "keys")
	if err != nil {
		return nil, err
	}
	if keys.Len() == 0 {
		return nil, ErrNoKeys
	}
	return &Keyring{keys: keys}, nil
}

// Authorize checks that the one authorization value in md is a key that
// owns site (a missing, malformed or repeated value is refused).
func (k *Keyring) Authorize(md metadata.MD, site string) error {
	key, err := keyring.BearerKey(md.Get("authorization"))
	if err != nil {
		return err
	}
	sites, found := k.keys.Sites(key)
	if !found {
		return ErrUnknownKey
	}
	if !sites[site] {
		return ErrForbidden
	}
	return nil
}
