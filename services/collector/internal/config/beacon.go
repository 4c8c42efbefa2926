package config

import "github.com/footprint/footprint/services/collector/internal/beacon"

// beaconVars are the variables of the HTTP endpoint for browsers (beacon.Config).
func beaconVars() []Var {
	var vars []Var
	add := func(name, help string, def func(*Config) string, set func(*Config, string) error) {
		vars = append(vars, v(name, help, def, set))
	}
	b := func(c *Config) *beacon.Config { return &c.Beacon }
	d, s := str(func(c *Config) *string { return &b(c).Addr })
	add("FOOTPRINT_COLLECTOR_HTTP_ADDR", "HTTP listen address of the browser endpoint (events and the tracker script); `off` turns it off.", d, s)
	d, s = str(func(c *Config) *string { return &b(c).Sites })
	add("FOOTPRINT_COLLECTOR_BROWSER_SITES", "Browser sites and the origins allowed to send their events: `siteA=https://a.example,https://www.a.example;siteB=...`. Other origins get 403.", d, s)
	d, s = str(func(c *Config) *string { return &b(c).EventPath })
	add("FOOTPRINT_COLLECTOR_HTTP_EVENT_PATH", "Path of the browser event endpoint (POST; OPTIONS for CORS preflights).", d, s)
	d, s = str(func(c *Config) *string { return &b(c).ScriptPath })
	add("FOOTPRINT_COLLECTOR_HTTP_SCRIPT_PATH", "Path of the tracker script (ETag, 1 h cache); the same folder serves footprint.<hash>.js, immutable.", d, s)
	d, s = str(func(c *Config) *string { return &b(c).TrustedProxies })
	add("FOOTPRINT_COLLECTOR_TRUSTED_PROXIES", "IPs or CIDR prefixes of reverse proxies whose X-Forwarded-For / Forwarded are believed, comma-separated.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).MaxBodyBytes })
	add("FOOTPRINT_COLLECTOR_HTTP_MAX_BODY_BYTES", "Largest browser event body in bytes; larger gets 413.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).IPRate })
	add("FOOTPRINT_COLLECTOR_HTTP_IP_RATE", "Browser events per second per client IP (token bucket refill); more gets 429.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).IPBurst })
	add("FOOTPRINT_COLLECTOR_HTTP_IP_BURST", "Token bucket size per client IP.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).SiteRate })
	add("FOOTPRINT_COLLECTOR_HTTP_SITE_RATE", "Browser events per second per site (token bucket refill); more gets 429.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).SiteBurst })
	add("FOOTPRINT_COLLECTOR_HTTP_SITE_BURST", "Token bucket size per site.", d, s)
	d, s = integer(func(c *Config) *int { return &b(c).RateLimitKeys })
	add("FOOTPRINT_COLLECTOR_HTTP_RATE_LIMIT_KEYS", "Most client IPs the rate limiter remembers (bounds its memory).", d, s)
	return vars
}
