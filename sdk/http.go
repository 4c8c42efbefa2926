package footprint

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// EventPageView is the name of the events the middleware records.
const EventPageView = "page_view"

// Tracker is what the middleware needs from a [Client]; tests and apps can
// substitute their own.
type Tracker interface {
	Track(ctx context.Context, ev *eventv1.Event) error
}

// HTTPConfig configures [NewHTTPMiddleware]. Start from
// [DefaultHTTPConfig] and change what you need.
type HTTPConfig struct {
	// SiteID is the site_id of the recorded events. When empty, the
	// client's WithSiteID applies.
	SiteID string
	// TrustedProxies lists the IP addresses or CIDR prefixes of reverse
	// proxies in front of the app. X-Forwarded-For and X-Forwarded-Proto are
	// only believed when the connection comes from one of them: any client
	// can send those headers.
	TrustedProxies []string
	// SkipPaths are exact request paths that are not recorded.
	SkipPaths []string
	// SkipPrefixes are path prefixes that are not recorded (static files).
	SkipPrefixes []string
	// SkipExtensions are file extensions, with the dot, that are not
	// recorded (assets served outside SkipPrefixes). Compared case-insensitively.
	SkipExtensions []string
	// Skip, when set, is asked about every request that the lists above
	// did not already skip; returning true skips it.
	Skip func(r *http.Request) bool
	// VisitorID, when set, returns the visitor id for a request (for
	// example a first-party cookie). When it returns "", the collector
	// derives a cookieless id.
	VisitorID func(r *http.Request) string
	// UserID, when set, returns the signed-in user's id for a request.
	UserID func(r *http.Request) string
}

// DefaultHTTPConfig skips health and metrics endpoints, the favicon and
// common static files.
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		SkipPaths:    []string{"/healthz", "/readyz", "/livez", "/metrics", "/favicon.ico"},
		SkipPrefixes: []string{"/static/", "/assets/"},
		SkipExtensions: []string{
			".css", ".js", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
			".avif", ".woff", ".woff2", ".ttf", ".eot",
		},
	}
}

// ErrTrustedProxy means an entry of TrustedProxies is neither an IP address
// nor a CIDR prefix.
var ErrTrustedProxy = errors.New("footprint: invalid trusted proxy")

// HTTPMiddleware records every request of a net/http handler as a
// `page_view` event. Create it with [NewHTTPMiddleware].
type HTTPMiddleware struct {
	tracker  Tracker
	cfg      HTTPConfig
	proxies  proxySet
	skipPath map[string]struct{}
	skipExt  map[string]struct{}
}

// NewHTTPMiddleware returns a middleware that records requests with t
// (usually a [*Client]).
func NewHTTPMiddleware(t Tracker, cfg HTTPConfig) (*HTTPMiddleware, error) {
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	m := &HTTPMiddleware{
		tracker:  t,
		cfg:      cfg,
		proxies:  proxies,
		skipPath: make(map[string]struct{}, len(cfg.SkipPaths)),
		skipExt:  make(map[string]struct{}, len(cfg.SkipExtensions)),
	}
	for _, p := range cfg.SkipPaths {
		m.skipPath[p] = struct{}{}
	}
	for _, e := range cfg.SkipExtensions {
		m.skipExt[strings.ToLower(e)] = struct{}{}
	}
	return m, nil
}

// Handler wraps next. The event is tracked after next returns, so that the
// status and the duration are known; tracking never blocks the response.
func (m *HTTPMiddleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// A panicking handler still produced a request worth recording (as
		// a 500, which net/http sends); the panic continues afterwards.
		defer func() {
			if p := recover(); p != nil {
				rec.status = http.StatusInternalServerError
				m.record(r, rec.status, start)
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		m.record(r, status, start)
	})
}

func (m *HTTPMiddleware) skip(r *http.Request) bool {
	p := r.URL.Path
	if _, ok := m.skipPath[p]; ok {
		return true
	}
	for _, prefix := range m.cfg.SkipPrefixes {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	if len(m.skipExt) > 0 {
		if ext := path.Ext(p); ext != "" {
			if _, ok := m.skipExt[strings.ToLower(ext)]; ok {
				return true
			}
		}
	}
	return m.cfg.Skip != nil && m.cfg.Skip(r)
}

func (m *HTTPMiddleware) record(r *http.Request, status int, start time.Time) {
	peer := remoteIP(r.RemoteAddr)
	trusted := m.proxies.contains(peer)
	ip := peer
	if trusted {
		if fwd, ok := m.proxies.clientFromForwarded(r.Header.Values("X-Forwarded-For")); ok {
			ip = fwd
		}
	}
	ev := &eventv1.Event{
		SiteId: m.cfg.SiteID,
		Name:   EventPageView,
		Page: &eventv1.Page{
			Url:      requestURL(r, trusted),
			Path:     r.URL.Path,
			Referrer: r.Referer(),
		},
		HttpMethod: r.Method,
		HttpStatus: uint32(status),
		DurationUs: uint64(time.Since(start).Microseconds()),
		Client: &eventv1.ClientContext{
			UserAgent: r.UserAgent(),
			Ip:        ipString(ip),
		},
	}
	if m.cfg.VisitorID != nil {
		ev.VisitorId = m.cfg.VisitorID(r)
	}
	if m.cfg.UserID != nil {
		ev.UserId = m.cfg.UserID(r)
	}
	// The error only says the event was dropped, which the client already
	// counted; the request must not fail because of analytics.
	_ = m.tracker.Track(r.Context(), ev)
}

// requestURL rebuilds the absolute URL the visitor asked for. The scheme
// comes from the connection, or from X-Forwarded-Proto behind a trusted proxy.
func requestURL(r *http.Request, trusted bool) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if trusted {
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			scheme = p
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

func ipString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// remoteIP parses the host of a RemoteAddr ("ip:port", or a bare IP in tests).
func remoteIP(addr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// proxySet is a list of trusted proxy prefixes.
type proxySet []netip.Prefix

func parseProxies(list []string) (proxySet, error) {
	var set proxySet
	var errs []error
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w %q: %w", ErrTrustedProxy, s, err))
				continue
			}
			set = append(set, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w %q: %w", ErrTrustedProxy, s, err))
			continue
		}
		a = a.Unmap()
		set = append(set, netip.PrefixFrom(a, a.BitLen()))
	}
	return set, errors.Join(errs...)
}

func (s proxySet) contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientFromForwarded finds the client in X-Forwarded-For. Each proxy appends
// the address it received the request from, so the list is read from the
// right: the first address that is not a trusted proxy is the client. The
// entries left of it were written by the client itself and prove nothing.
func (s proxySet) clientFromForwarded(headers []string) (netip.Addr, bool) {
	var leftmost netip.Addr
	for i := len(headers) - 1; i >= 0; i-- {
		parts := strings.Split(headers[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a := remoteIP(strings.TrimSpace(parts[j]))
			if !a.IsValid() {
				// A garbled entry: nothing left of it can be trusted.
				return leftmost, leftmost.IsValid()
			}
			if !s.contains(a) {
				return a, true
			}
			leftmost = a
		}
	}
	// Every hop is a trusted proxy: the request started at the first one.
	return leftmost, leftmost.IsValid()
}

// statusRecorder captures the status code. It keeps Flush and Hijack working
// (streaming responses, WebSockets) and exposes Unwrap for
// http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	// Informational responses (1xx) are followed by the real status.
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("footprint: hijack: %w", err)
	}
	if s.status == 0 {
		s.status = http.StatusSwitchingProtocols
	}
	return conn, rw, nil
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
