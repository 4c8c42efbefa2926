package footprint_test

import (
	"context"
	"net"
	"sync"
	"testing"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// call is one Ingest call the fake collector received.
type call struct {
	events []*eventv1.Event
	auth   string
}

// fakeCollector is an in-process CollectorService. Each call is passed to
// handle (default: accept everything) and recorded; calls also appear on the
// calls channel so tests can wait for them without sleeping.
type fakeCollector struct {
	collectorv1.UnimplementedCollectorServiceServer

	// discard skips recording, so that benchmarks measure the client
	// rather than the fake's bookkeeping.
	discard bool

	mu       sync.Mutex
	received []call
	calls    chan call
	handle   func(ctx context.Context, n int, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error)
}

func (f *fakeCollector) Ingest(ctx context.Context, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
	if f.discard {
		return acceptAll(req), nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	c := call{auth: first(md.Get("authorization"))}
	for _, ev := range req.GetEvents() {
		c.events = append(c.events, proto.Clone(ev).(*eventv1.Event))
	}
	f.mu.Lock()
	n := len(f.received)
	f.received = append(f.received, c)
	f.mu.Unlock()
	if f.calls != nil {
		f.calls <- c
	}
	if f.handle != nil {
		return f.handle(ctx, n, req)
	}
	return acceptAll(req), nil
}

func (f *fakeCollector) snapshot() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.received...)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func acceptAll(req *collectorv1.IngestRequest) *collectorv1.IngestResponse {
	resp := &collectorv1.IngestResponse{}
	for i, ev := range req.GetEvents() {
		resp.Results = append(resp.Results, &collectorv1.EventResult{
			Index: uint32(i), EventId: ev.GetEventId(), Outcome: collectorv1.Outcome_OUTCOME_ACCEPTED,
		})
		resp.AcceptedCount++
	}
	return resp
}

// startFake serves f on 127.0.0.1:0 and returns its address; the server is
// stopped when the test ends.
func startFake(t testing.TB, f *fakeCollector) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer()
	collectorv1.RegisterCollectorServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}
