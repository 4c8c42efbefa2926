// Package beacon is the collector's HTTP front end for browsers: POST /api/event
// (one JSON event per request, no API key: sites are public ids with an origin
// allowlist) and GET /js/footprint.js (the tracker). Events go through the same
// pipeline as gRPC Ingest (server.Pipeline).
package beacon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// Named configuration errors, joined by Config.Validate.
var (
	ErrAddr         = errors.New("beacon: http listen address must be host:port (or off)")
	ErrPath         = errors.New("beacon: event and script paths must be distinct absolute paths of letters, digits and -._/")
	ErrSites        = errors.New("beacon: malformed browser sites entry (want site=https://origin[,https://origin...];site2=...)")
	ErrProxies      = errors.New("beacon: trusted proxies must be comma-separated IP addresses or CIDR prefixes")
	ErrMaxBodyBytes = errors.New("beacon: max body bytes must be between 256 and 1048576")
	ErrRate         = errors.New("beacon: rates and bursts must be at least 1")
	ErrRateKeys     = errors.New("beacon: rate limit key bound must be at least 1")
)

// Config configures the HTTP beacon endpoint.
type Config struct {
	// Addr is the host:port of the HTTP server; "off" (or empty) turns the endpoint off.
	Addr string
	// EventPath receives events (POST, and OPTIONS for CORS preflights).
	EventPath string
	// ScriptPath serves the tracker (revalidated with its ETag); the same
	// directory also serves footprint.<hash>.js, cached for a year.
	ScriptPath string
	// Sites lists each browser site and the origins its pages may send from:
	// `site=https://a.example,https://www.a.example;site2=http://127.0.0.1:8080`.
	Sites string
	// TrustedProxies are the peers whose X-Forwarded-For / Forwarded headers are
	// believed, as IPs or CIDR prefixes, comma-separated.
	TrustedProxies string
	// MaxBodyBytes is the largest request body; larger requests get 413.
	MaxBodyBytes int
	// IPRate and IPBurst are the token bucket of each client IP (events/s).
	IPRate, IPBurst int
	// SiteRate and SiteBurst are the token bucket of each site (events/s).
	SiteRate, SiteBurst int
	// RateLimitKeys bounds how many client IPs the limiter remembers.
	RateLimitKeys int
}

// DefaultConfig returns the documented defaults: no site is allowed until configured.
func DefaultConfig() Config {
	return Config{
		Addr:          "127.0.0.1:8081",
		EventPath:     "/api/event",
		ScriptPath:    "/js/footprint.js",
		MaxBodyBytes:  8 << 10,
		IPRate:        20,
		IPBurst:       40,
		SiteRate:      2000,
		SiteBurst:     4000,
		RateLimitKeys: 100_000,
	}
}

// Enabled reports whether the HTTP endpoint is to be started.
func (c Config) Enabled() bool { return c.Addr != "" && c.Addr != "off" }

var pathPattern = regexp.MustCompile(`^/[A-Za-z0-9._/-]*$`)

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if c.Enabled() {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrAddr, err))
		}
	}
	if !pathPattern.MatchString(c.EventPath) || !pathPattern.MatchString(c.ScriptPath) ||
		!strings.HasSuffix(c.ScriptPath, ".js") || c.EventPath == c.ScriptPath {
		errs = append(errs, ErrPath)
	}
	if _, err := ParseSites(c.Sites); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseProxies(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if c.MaxBodyBytes < 256 || c.MaxBodyBytes > 1<<20 {
		errs = append(errs, ErrMaxBodyBytes)
	}
	if c.IPRate < 1 || c.IPBurst < 1 || c.SiteRate < 1 || c.SiteBurst < 1 {
		errs = append(errs, ErrRate)
	}
	if c.RateLimitKeys < 1 {
		errs = append(errs, ErrRateKeys)
	}
	return errors.Join(errs...)
}

// Sites maps a site id to the set of origins allowed to send its events.
type Sites map[string]map[string]bool

// Allows reports whether origin may send events of site.
func (s Sites) Allows(site, origin string) bool { return s[site][origin] }

// AnyAllows reports whether some site allows origin (preflights carry no site).
func (s Sites) AnyAllows(origin string) bool {
	for _, origins := range s {
		if origins[origin] {
			return true
		}
	}
	return false
}

// ParseSites reads `site=origin,origin;site2=origin`. Origins are normalised
// to scheme://host[:port] in lower case, as browsers send them.
func ParseSites(spec string) (Sites, error) {
	sites := Sites{}
	for i, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		site, list, ok := strings.Cut(entry, "=")
		site = strings.TrimSpace(site)
		if !ok || site == "" {
			return nil, fmt.Errorf("%w: entry %d", ErrSites, i+1)
		}
		if sites[site] == nil {
			sites[site] = map[string]bool{}
		}
		for o := range strings.SplitSeq(list, ",") {
			origin, err := normalOrigin(strings.TrimSpace(o))
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: %w", ErrSites, i+1, err)
			}
			sites[site][origin] = true
		}
	}
	return sites, nil
}

// normalOrigin returns scheme://host[:port] of an origin written as a URL without path.
func normalOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("%q is not an origin like https://example.com", raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// ParseProxies reads comma-separated IPs and CIDR prefixes.
func ParseProxies(spec string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for p := range strings.SplitSeq(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			addr, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrProxies, err)
			}
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProxies, err)
		}
		out = append(out, prefix.Masked())
	}
	return out, nil
}
