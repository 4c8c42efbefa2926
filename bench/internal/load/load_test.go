package load

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeCollector accepts every event (or rejects them all) and counts them.
type fakeCollector struct {
	collectorv1.UnimplementedCollectorServiceServer
	reject bool
	events atomic.Int64
	mu     sync.Mutex
	ids    map[string]bool
}

func (f *fakeCollector) auth(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) != 1 || v[0] != "Bearer k" {
		return status.Error(codes.Unauthenticated, "bad key")
	}
	return nil
}

func (f *fakeCollector) results(n int, ids []string) (uint32, uint32) {
	f.mu.Lock()
	for _, id := range ids {
		f.ids[id] = true
	}
	f.mu.Unlock()
	f.events.Add(int64(n))
	if f.reject {
		return 0, uint32(n)
	}
	return uint32(n), 0
}

func (f *fakeCollector) Ingest(ctx context.Context, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
	if err := f.auth(ctx); err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range req.GetEvents() {
		ids = append(ids, e.GetEventId())
	}
	a, r := f.results(len(req.GetEvents()), ids)
	return &collectorv1.IngestResponse{AcceptedCount: a, RejectedCount: r}, nil
}

func (f *fakeCollector) IngestStream(st grpc.BidiStreamingServer[collectorv1.IngestStreamRequest, collectorv1.IngestStreamResponse]) error {
	if err := f.auth(st.Context()); err != nil {
		return err
	}
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var ids []string
		for _, e := range req.GetEvents() {
			ids = append(ids, e.GetEventId())
		}
		a, r := f.results(len(req.GetEvents()), ids)
		if err := st.Send(&collectorv1.IngestStreamResponse{Sequence: req.GetSequence(), AcceptedCount: a, RejectedCount: r}); err != nil {
			return err
		}
	}
}

func serve(t *testing.T, f *fakeCollector) string {
	t.Helper()
	f.ids = map[string]bool{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	collectorv1.RegisterCollectorServiceServer(s, f)
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

func TestRunCountsEveryEventUnaryAndStream(t *testing.T) {
	for _, stream := range []bool{false, true} {
		f := &fakeCollector{}
		addr := serve(t, f)
		var markers atomic.Int64
		res, err := Run(context.Background(), Config{
			Addr: addr, APIKey: "k", Site: "s", Clients: 3, Batch: 10, Stream: stream, Window: 2,
			MaxEvents: 3000, MaxDuration: time.Minute, Seed: 1,
			OnAck: func(string, time.Time) { markers.Add(1) },
		})
		if err != nil {
			t.Fatalf("stream=%v: %v", stream, err)
		}
		if res.Acked != 3000 {
			t.Errorf("stream=%v: acked %d, want 3000", stream, res.Acked)
		}
		// Plus one warm-up event per client.
		if got := f.events.Load(); got != 3003 {
			t.Errorf("stream=%v: collector saw %d events, want 3003", stream, got)
		}
		if len(f.ids) != 3003 {
			t.Errorf("stream=%v: %d distinct ids, want 3003", stream, len(f.ids))
		}
		if markers.Load() != 300 {
			t.Errorf("stream=%v: %d markers, want one per batch (300)", stream, markers.Load())
		}
	}
}

func TestRunStopsAtTheTimeCapWithoutErrors(t *testing.T) {
	f := &fakeCollector{}
	addr := serve(t, f)
	res, err := Run(context.Background(), Config{
		Addr: addr, APIKey: "k", Site: "s", Clients: 2, Batch: 1, Stream: true, MaxDuration: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked == 0 || res.Elapsed < 200*time.Millisecond {
		t.Errorf("%+v", res)
	}
}

func TestRunPaces(t *testing.T) {
	f := &fakeCollector{}
	addr := serve(t, f)
	res, err := Run(context.Background(), Config{
		Addr: addr, APIKey: "k", Site: "s", Clients: 2, Batch: 5, Rate: 200, MaxDuration: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 200 events/s for 0.5 s is about 100 events; pacing must keep it far
	// below what an unpaced run sends.
	if res.Acked < 50 || res.Acked > 150 {
		t.Errorf("paced run acknowledged %d events, want about 100", res.Acked)
	}
}

func TestRunReportsRejectionsAndAuthErrors(t *testing.T) {
	f := &fakeCollector{reject: true}
	addr := serve(t, f)
	_, err := Run(context.Background(), Config{Addr: addr, APIKey: "k", Site: "s", Clients: 1, Batch: 2, MaxEvents: 4, MaxDuration: time.Minute})
	if !errors.Is(err, ErrRejected) {
		t.Errorf("err = %v, want ErrRejected", err)
	}
	_, err = Run(context.Background(), Config{Addr: addr, APIKey: "wrong", Site: "s", Clients: 1, Batch: 2, MaxEvents: 4, MaxDuration: time.Minute})
	if status.Code(errors.Unwrap(err)) != codes.Unauthenticated {
		t.Errorf("err = %v, want Unauthenticated", err)
	}
}

func TestRunCallsOnStartAfterTheWarmUp(t *testing.T) {
	f := &fakeCollector{}
	addr := serve(t, f)
	var atStart int64 = -1
	calls := 0
	_, err := Run(context.Background(), Config{
		Addr: addr, APIKey: "k", Site: "s", Clients: 4, Batch: 10, MaxEvents: 100, MaxDuration: time.Minute, Seed: 1,
		OnStart: func() { calls++; atStart = f.events.Load() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || atStart != 4 {
		t.Errorf("OnStart called %d times with %d events seen; want once, after the 4 warm-up events", calls, atStart)
	}
}
