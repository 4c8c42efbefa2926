package footprint

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// GRPCConfig configures [UnaryServerInterceptor] and [StreamServerInterceptor].
type GRPCConfig struct {
	// SiteID is the site_id of the recorded events. When empty, the
	// client's WithSiteID applies.
	SiteID string
	// TrustedProxies lists IP addresses or CIDR prefixes of proxies whose
	// `x-forwarded-for` metadata is believed (see [HTTPConfig]).
	TrustedProxies []string
	// SkipMethodPrefixes are full-method prefixes that are not recorded.
	SkipMethodPrefixes []string
	// VisitorID, when set, returns the visitor id for a call from its
	// incoming metadata.
	VisitorID func(ctx context.Context, md metadata.MD) string
}

// DefaultGRPCConfig skips the gRPC health and reflection services.
func DefaultGRPCConfig() GRPCConfig {
	return GRPCConfig{
		SkipMethodPrefixes: []string{"/grpc.health.v1.", "/grpc.reflection."},
	}
}

// grpcRecorder holds what both interceptors share.
type grpcRecorder struct {
	tracker Tracker
	cfg     GRPCConfig
	proxies proxySet
}

func newGRPCRecorder(t Tracker, cfg GRPCConfig) (*grpcRecorder, error) {
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	return &grpcRecorder{tracker: t, cfg: cfg, proxies: proxies}, nil
}

// UnaryServerInterceptor records every unary call as a `page_view` event
// whose path is the full method (`/package.Service/Method`), whose
// http_method is POST (gRPC runs on HTTP/2 POST) and whose http_status is
// the HTTP equivalent of the call's status code; the gRPC code itself is in
// the `grpc_code` property.
func UnaryServerInterceptor(t Tracker, cfg GRPCConfig) (grpc.UnaryServerInterceptor, error) {
	rec, err := newGRPCRecorder(t, cfg)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if rec.skip(info.FullMethod) {
			return handler(ctx, req)
		}
		start := time.Now()
		resp, err := handler(ctx, req)
		rec.record(ctx, info.FullMethod, err, start)
		return resp, err
	}, nil
}

// StreamServerInterceptor records every streaming call like
// [UnaryServerInterceptor], once, when the stream ends.
func StreamServerInterceptor(t Tracker, cfg GRPCConfig) (grpc.StreamServerInterceptor, error) {
	rec, err := newGRPCRecorder(t, cfg)
	if err != nil {
		return nil, err
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if rec.skip(info.FullMethod) {
			return handler(srv, ss)
		}
		start := time.Now()
		err := handler(srv, ss)
		rec.record(ss.Context(), info.FullMethod, err, start)
		return err
	}, nil
}

func (g *grpcRecorder) skip(method string) bool {
	for _, p := range g.cfg.SkipMethodPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

func (g *grpcRecorder) record(ctx context.Context, method string, callErr error, start time.Time) {
	md, _ := metadata.FromIncomingContext(ctx)
	var peerIP netip.Addr
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		peerIP = addrIP(p.Addr)
	}
	ip := peerIP
	if g.proxies.contains(peerIP) {
		if fwd, ok := g.proxies.clientFromForwarded(md.Get("x-forwarded-for")); ok {
			ip = fwd
		}
	}
	code := status.Code(callErr)
	ev := &eventv1.Event{
		SiteId:     g.cfg.SiteID,
		Name:       EventPageView,
		Page:       &eventv1.Page{Path: method},
		HttpMethod: http.MethodPost,
		HttpStatus: uint32(httpStatusFromCode(code)),
		DurationUs: uint64(time.Since(start).Microseconds()),
		Client: &eventv1.ClientContext{
			UserAgent: first(md.Get("user-agent")),
			Ip:        ipString(ip),
		},
		Properties: map[string]string{"grpc_code": code.String()},
	}
	if g.cfg.VisitorID != nil {
		ev.VisitorId = g.cfg.VisitorID(ctx, md)
	}
	// Dropping is counted by the client; the call must not fail because of
	// analytics.
	_ = g.tracker.Track(ctx, ev)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func addrIP(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(v.IP)
		if !ok {
			return netip.Addr{}
		}
		return ip.Unmap()
	default:
		return remoteIP(a.String())
	}
}

// httpStatusFromCode maps a gRPC status code to the HTTP status a
// dashboard should count it as, following the mapping of grpc-gateway and
// Google's API design guide.
func httpStatusFromCode(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499 // client closed request (nginx convention)
	case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
