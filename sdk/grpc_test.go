package footprint_test

import (
	"context"
	"net"
	"testing"

	footprint "github.com/footprint/footprint/sdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

func grpcCtx(peerAddr string, md metadata.MD) context.Context {
	addr, _ := net.ResolveTCPAddr("tcp", peerAddr)
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: addr})
	return metadata.NewIncomingContext(ctx, md)
}

func TestUnaryInterceptor(t *testing.T) {
	rec := &recorder{}
	cfg := footprint.DefaultGRPCConfig()
	cfg.SiteID = "api"
	cfg.TrustedProxies = []string{"10.0.0.0/8"}
	cfg.VisitorID = func(_ context.Context, md metadata.MD) string { return first(md.Get("x-visitor")) }
	icpt, err := footprint.UnaryServerInterceptor(rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	md := metadata.Pairs("user-agent", "grpc-go/1.85.0", "x-forwarded-for", "203.0.113.9", "x-visitor", "v-7")
	info := &grpc.UnaryServerInfo{FullMethod: "/shop.v1.Cart/AddItem"}
	resp, err := icpt(grpcCtx("10.0.0.2:5000", md), "req", info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.NotFound, "no such item")
	})
	if resp != nil || status.Code(err) != codes.NotFound {
		t.Fatalf("interceptor changed the result: %v, %v", resp, err)
	}
	// Health checks are skipped by default.
	_, _ = icpt(grpcCtx("10.0.0.2:5000", md), "req", &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"},
		func(context.Context, any) (any, error) { return "ok", nil })

	events := rec.all()
	if len(events) != 1 {
		t.Fatalf("recorded %d events, want 1", len(events))
	}
	ev := events[0]
	if ev.GetSiteId() != "api" || ev.GetName() != "page_view" || ev.GetPage().GetPath() != "/shop.v1.Cart/AddItem" ||
		ev.GetHttpMethod() != "POST" || ev.GetHttpStatus() != 404 || ev.GetClient().GetIp() != "203.0.113.9" ||
		ev.GetClient().GetUserAgent() != "grpc-go/1.85.0" || ev.GetVisitorId() != "v-7" ||
		ev.GetProperties()["grpc_code"] != "NotFound" {
		t.Errorf("unexpected event %v", ev)
	}
}

type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s fakeStream) Context() context.Context { return s.ctx }

func TestStreamInterceptor(t *testing.T) {
	rec := &recorder{}
	icpt, err := footprint.StreamServerInterceptor(rec, footprint.DefaultGRPCConfig())
	if err != nil {
		t.Fatal(err)
	}
	// Without a trusted proxy the forwarded header is ignored.
	ss := fakeStream{ctx: grpcCtx("198.51.100.4:5000", metadata.Pairs("x-forwarded-for", "1.2.3.4"))}
	err = icpt(nil, ss, &grpc.StreamServerInfo{FullMethod: "/chat.v1.Chat/Connect"}, func(any, grpc.ServerStream) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	events := rec.all()
	if len(events) != 1 {
		t.Fatalf("recorded %d events, want 1", len(events))
	}
	if ev := events[0]; ev.GetPage().GetPath() != "/chat.v1.Chat/Connect" || ev.GetHttpStatus() != 200 ||
		ev.GetClient().GetIp() != "198.51.100.4" || ev.GetProperties()["grpc_code"] != "OK" {
		t.Errorf("unexpected event %v", ev)
	}
}
