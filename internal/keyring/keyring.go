// Package keyring holds the per-site keys every Footprint API uses (ingest
// keys in the collector, read keys in the query service, the notifier's keys)
// and reads the one `authorization: Bearer <key>` value of a call.
//
// Keys come from a spec `key1=siteA,siteB;key2=siteC` or from lines of
// `key=site,site` (blank lines and `#` comments ignored). A key listed twice
// gets the union of its sites. Keys are kept by their SHA-256 only, so a
// lookup takes the same time whatever prefix a guess shares with a real key,
// and errors never echo a key.
package keyring

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of reading a call's key and of parsing a spec.
var (
	ErrMissingKey   = errors.New("no key (send `authorization: Bearer <key>`)")
	ErrMalformedKey = errors.New("malformed authorization (send `authorization: Bearer <key>`)")
	ErrMultipleKeys = errors.New("more than one authorization value (send exactly one)")
	ErrBadSpec      = errors.New("malformed key entry")
)

type digest [sha256.Size]byte

// Keyring maps keys to the sites they may use. Build it with Parse or New,
// then treat it as immutable: it is safe for concurrent reads.
type Keyring struct {
	sites map[digest]map[string]bool
}

// New builds a keyring from key -> sites.
func New(keys map[string][]string) *Keyring {
	k := &Keyring{sites: map[digest]map[string]bool{}}
	for key, sites := range keys {
		k.add(key, sites)
	}
	return k
}

// ParseSpec reads a `key=site,site;key=site` spec; source names it in errors.
func ParseSpec(spec, source string) (*Keyring, error) {
	return ParseLines(strings.Split(spec, ";"), source)
}

// ParseLines reads `key=site,site` entries (one per line of a keys file).
func ParseLines(entries []string, source string) (*Keyring, error) {
	k := New(nil)
	if err := k.AddLines(entries, source); err != nil {
		return nil, err
	}
	return k, nil
}

// AddLines adds `key=site,site` entries to k; used while building it.
func (k *Keyring) AddLines(entries []string, source string) error {
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		key, sitesPart, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		sites := SplitList(sitesPart)
		if !ok || key == "" || strings.ContainsAny(key, " \t") || len(sites) == 0 {
			return fmt.Errorf("%w: %s entry %d: want key=site[,site...]", ErrBadSpec, source, i+1)
		}
		k.add(key, sites)
	}
	return nil
}

func (k *Keyring) add(key string, sites []string) {
	d := sha256.Sum256([]byte(key))
	if k.sites[d] == nil {
		k.sites[d] = map[string]bool{}
	}
	for _, s := range sites {
		k.sites[d][s] = true
	}
}

// Len is the number of distinct keys.
func (k *Keyring) Len() int { return len(k.sites) }

// Sites returns the sites key may use (read-only), and whether the key is known.
func (k *Keyring) Sites(key string) (map[string]bool, bool) {
	sites, ok := k.sites[sha256.Sum256([]byte(key))]
	return sites, ok
}

// AllSites lists every site some key may use, sorted.
func (k *Keyring) AllSites() []string {
	set := map[string]bool{}
	for _, sites := range k.sites {
		for s := range sites {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// BearerKey returns the key of a call's one `authorization: Bearer <key>`
// value (gRPC: md.Get("authorization")). Two or more values are refused, not
// judged by the first: a proxy and a client could each have added one.
func BearerKey(values []string) (string, error) {
	switch {
	case len(values) == 0:
		return "", ErrMissingKey
	case len(values) > 1:
		return "", ErrMultipleKeys
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "bearer") || key == "" {
		return "", ErrMalformedKey
	}
	return key, nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
