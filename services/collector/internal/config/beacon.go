package config

import (
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/services/collector/internal/beacon"
)

// beaconVars are the variables of the HTTP endpoint for browsers, bound to b.
func beaconVars(b *beacon.Config) envconfig.Vars {
	return envconfig.Vars{
		envconfig.String("FOOTPRINT_COLLECTOR_HTTP_ADDR", &b.Addr, "HTTP listen address of the browser endpoint (events and the tracker script); `off` turns it off."),
		envconfig.String("FOOTPRINT_COLLECTOR_BROWSER_SITES", &b.Sites, "Browser sites and the origins allowed to send their events: `siteA=https://a.example,https://www.a.example;siteB=...`. Other origins get 403."),
		envconfig.String("FOOTPRINT_COLLECTOR_HTTP_EVENT_PATH", &b.EventPath, "Path of the browser event endpoint (POST; OPTIONS for CORS preflights)."),
		envconfig.String("FOOTPRINT_COLLECTOR_HTTP_SCRIPT_PATH", &b.ScriptPath, "Path of the tracker script (ETag, 1 h cache); the same folder serves footprint.<hash>.js, immutable."),
		envconfig.String("FOOTPRINT_COLLECTOR_TRUSTED_PROXIES", &b.TrustedProxies, "IPs or CIDR prefixes of reverse proxies whose X-Forwarded-For / Forwarded are believed, comma-separated."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_MAX_BODY_BYTES", &b.MaxBodyBytes, "Largest browser event body in bytes; larger gets 413."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_IP_RATE", &b.IPRate, "Browser events per second per client IP (token bucket refill); more gets 429."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_IP_BURST", &b.IPBurst, "Token bucket size per client IP."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_SITE_RATE", &b.SiteRate, "Browser events per second per site (token bucket refill); more gets 429."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_SITE_BURST", &b.SiteBurst, "Token bucket size per site."),
		envconfig.Int("FOOTPRINT_COLLECTOR_HTTP_RATE_LIMIT_KEYS", &b.RateLimitKeys, "Most client IPs the rate limiter remembers (bounds its memory)."),
	}
}
