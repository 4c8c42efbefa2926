package footprint_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	footprint "github.com/footprint/footprint/sdk"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const waitLimit = 10 * time.Second

func newClient(t *testing.T, addr string, opts ...footprint.Option) *footprint.Client {
	t.Helper()
	base := []footprint.Option{
		footprint.WithInsecure(),
		footprint.WithAPIKey("fp_test_key"),
		footprint.WithSiteID("test-site"),
		footprint.WithBackoff(time.Millisecond, 5*time.Millisecond),
	}
	c, err := footprint.New(addr, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = c.Close(ctx)
	})
	return c
}

func closeClient(t *testing.T, c *footprint.Client, d time.Duration) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Close(ctx)
}

func track(t *testing.T, c *footprint.Client, name string) *eventv1.Event {
	t.Helper()
	ev := &eventv1.Event{Name: name}
	if err := c.Track(context.Background(), ev); err != nil {
		t.Fatalf("Track: %v", err)
	}
	return ev
}

func waitCall(t *testing.T, calls <-chan call) call {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(waitLimit):
		t.Fatal("no Ingest call arrived")
		return call{}
	}
}

func ids(events []*eventv1.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.GetEventId()
	}
	return out
}

func checkBalance(t *testing.T, s footprint.Stats) {
	t.Helper()
	if s.Tracked != s.Sent+s.Rejected+s.Dropped+s.Failed {
		t.Errorf("stats do not add up: %+v", s)
	}
}

func TestBatchesByCount(t *testing.T) {
	f := &fakeCollector{calls: make(chan call, 10)}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(10), footprint.WithFlushInterval(time.Hour))
	var tracked []string
	for i := range 25 {
		tracked = append(tracked, track(t, c, fmt.Sprintf("e%d", i)).GetEventId())
	}
	// Two full batches go out without waiting for the (hour-long) interval.
	if got := len(waitCall(t, f.calls).events); got != 10 {
		t.Fatalf("first batch has %d events, want 10", got)
	}
	if got := len(waitCall(t, f.calls).events); got != 10 {
		t.Fatalf("second batch has %d events, want 10", got)
	}
	if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
		t.Fatalf("Close = %d, %v; want 0, nil", n, err)
	}
	got := f.snapshot()
	if len(got) != 3 || len(got[2].events) != 5 {
		t.Fatalf("got %d calls (last with %d events), want 3 calls with 10, 10, 5", len(got), len(got[len(got)-1].events))
	}
	var sent []string
	for _, cl := range got {
		if cl.auth != "Bearer fp_test_key" {
			t.Errorf("authorization = %q, want %q", cl.auth, "Bearer fp_test_key")
		}
		sent = append(sent, ids(cl.events)...)
	}
	if fmt.Sprint(sent) != fmt.Sprint(tracked) {
		t.Errorf("sent ids differ from tracked ids (order or content):\n sent %v\ntracked %v", sent, tracked)
	}
	s := c.Stats()
	if s.Tracked != 25 || s.Sent != 25 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 25 tracked and sent, 0 retries", s)
	}
	checkBalance(t, s)
}

func TestBatchesByTime(t *testing.T) {
	f := &fakeCollector{calls: make(chan call, 10)}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(1000), footprint.WithFlushInterval(20*time.Millisecond))
	for i := range 3 {
		track(t, c, fmt.Sprintf("e%d", i))
	}
	// The batch is far from full: only the interval can send it. The ticker
	// may split the three events over several calls.
	got := 0
	for got < 3 {
		got += len(waitCall(t, f.calls).events)
	}
	if got != 3 {
		t.Fatalf("received %d events, want 3", got)
	}
}

func TestTrackFillsIDTimeAndSite(t *testing.T) {
	f := &fakeCollector{calls: make(chan call, 10)}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(2), footprint.WithFlushInterval(time.Hour))
	before := time.Now()
	plain := track(t, c, "plain")
	own := &eventv1.Event{
		EventId:    "0190b1d2-7a6b-7c3d-8e9f-0a1b2c3d4e5f",
		SiteId:     "other-site",
		OccurredAt: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	if err := c.Track(context.Background(), own); err != nil {
		t.Fatal(err)
	}
	cl := waitCall(t, f.calls)
	if len(cl.events) != 2 {
		t.Fatalf("got %d events, want 2", len(cl.events))
	}
	got := cl.events[0]
	id, err := uuid.Parse(got.GetEventId())
	if err != nil || id.Version() != 7 {
		t.Errorf("event_id %q is not a UUIDv7 (err %v)", got.GetEventId(), err)
	}
	if got.GetEventId() != plain.GetEventId() {
		t.Errorf("sent id %q differs from the id Track set %q", got.GetEventId(), plain.GetEventId())
	}
	if at := got.GetOccurredAt().AsTime(); at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("occurred_at %v is not the tracking time", at)
	}
	if got.GetSiteId() != "test-site" {
		t.Errorf("site_id = %q, want the client's default test-site", got.GetSiteId())
	}
	kept := cl.events[1]
	if kept.GetEventId() != own.EventId || kept.GetSiteId() != "other-site" ||
		!kept.GetOccurredAt().AsTime().Equal(own.OccurredAt.AsTime()) {
		t.Errorf("caller's id/site/time were changed: %v", kept)
	}
}

func TestRetryKeepsEventIDs(t *testing.T) {
	for _, code := range []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded} {
		t.Run(code.String(), func(t *testing.T) {
			f := &fakeCollector{handle: func(_ context.Context, n int, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
				if n < 2 {
					return nil, status.Error(code, "try again")
				}
				return acceptAll(req), nil
			}}
			c := newClient(t, startFake(t, f), footprint.WithBatchSize(100), footprint.WithFlushInterval(time.Hour))
			var tracked []string
			for i := range 5 {
				tracked = append(tracked, track(t, c, fmt.Sprintf("e%d", i)).GetEventId())
			}
			if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
				t.Fatalf("Close = %d, %v; want 0, nil", n, err)
			}
			got := f.snapshot()
			if len(got) != 3 {
				t.Fatalf("got %d calls, want 3 (two failures, one success)", len(got))
			}
			for i, cl := range got {
				if fmt.Sprint(ids(cl.events)) != fmt.Sprint(tracked) {
					t.Errorf("call %d sent ids %v, want the tracked ids %v", i, ids(cl.events), tracked)
				}
			}
			s := c.Stats()
			if s.Retries != 2 || s.Sent != 5 || s.Failed != 0 {
				t.Errorf("stats = %+v, want 2 retries, 5 sent, 0 failed", s)
			}
			checkBalance(t, s)
		})
	}
}

func TestRejectedEventsReportedNotRetried(t *testing.T) {
	f := &fakeCollector{handle: func(_ context.Context, _ int, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
		resp := acceptAll(req)
		for i, ev := range req.GetEvents() {
			if ev.GetName() == "Bad Name" {
				resp.Results[i].Outcome = collectorv1.Outcome_OUTCOME_REJECTED
				resp.Results[i].RejectReason = collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT
				resp.Results[i].Field = "name"
				resp.Results[i].Message = "must be snake_case"
			}
		}
		return resp, nil
	}}
	var mu sync.Mutex
	var rejected []string
	handler := func(err error) {
		var rej *footprint.RejectedEventError
		if errors.As(err, &rej) {
			mu.Lock()
			rejected = append(rejected, rej.Event.GetEventId()+" "+rej.Result.GetField())
			mu.Unlock()
		}
	}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(100), footprint.WithFlushInterval(time.Hour),
		footprint.WithErrorHandler(handler))
	var want []string
	for i := range 5 {
		name := "good"
		if i%2 == 1 {
			name = "Bad Name"
		}
		ev := track(t, c, name)
		if name != "good" {
			want = append(want, ev.GetEventId()+" name")
		}
	}
	if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
		t.Fatalf("Close = %d, %v; want 0, nil (rejected events are delivered, not lost in transit)", n, err)
	}
	if got := len(f.snapshot()); got != 1 {
		t.Errorf("got %d calls, want 1: rejected events must not be retried", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(rejected) != fmt.Sprint(want) {
		t.Errorf("error handler got %v, want %v", rejected, want)
	}
	s := c.Stats()
	if s.Rejected != 2 || s.Sent != 3 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 2 rejected, 3 sent, 0 retries", s)
	}
	checkBalance(t, s)
}

func TestNonRetryableErrorFailsBatch(t *testing.T) {
	f := &fakeCollector{handle: func(context.Context, int, *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
		return nil, status.Error(codes.Unauthenticated, "unknown key")
	}}
	var delivery *footprint.DeliveryError
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(100), footprint.WithFlushInterval(time.Hour),
		footprint.WithErrorHandler(func(err error) { _ = errors.As(err, &delivery) }))
	for range 4 {
		track(t, c, "e")
	}
	n, err := closeClient(t, c, waitLimit)
	if n != 4 || !errors.Is(err, footprint.ErrUndelivered) {
		t.Fatalf("Close = %d, %v; want 4, ErrUndelivered", n, err)
	}
	if got := len(f.snapshot()); got != 1 {
		t.Errorf("got %d calls, want 1 (Unauthenticated is not retried)", got)
	}
	// The handler ran on the sender goroutine, which Close waited for.
	if delivery == nil || len(delivery.Events) != 4 || status.Code(errors.Unwrap(delivery.Err)) != codes.Unauthenticated {
		t.Errorf("error handler got %v, want a DeliveryError of 4 events wrapping Unauthenticated", delivery)
	}
	s := c.Stats()
	if s.Failed != 4 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 4 failed, 0 retries", s)
	}
	checkBalance(t, s)
}

func TestRetriesAreCapped(t *testing.T) {
	f := &fakeCollector{handle: func(context.Context, int, *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
		return nil, status.Error(codes.Unavailable, "down")
	}}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(100), footprint.WithFlushInterval(time.Hour),
		footprint.WithMaxRetries(2))
	track(t, c, "e")
	n, err := closeClient(t, c, waitLimit)
	if n != 1 || !errors.Is(err, footprint.ErrUndelivered) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %d, %v; want 1, ErrUndelivered without a deadline error", n, err)
	}
	if got := len(f.snapshot()); got != 3 {
		t.Errorf("got %d calls, want 3 (first try and 2 retries)", got)
	}
	if s := c.Stats(); s.Retries != 2 || s.Failed != 1 {
		t.Errorf("stats = %+v, want 2 retries, 1 failed", s)
	}
}

// stalledCollector accepts calls but answers none until the test ends.
func stalledCollector(t *testing.T) *fakeCollector {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return &fakeCollector{
		calls: make(chan call, 100),
		handle: func(ctx context.Context, _ int, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil, status.Error(codes.Unavailable, "stalled")
		},
	}
}

func TestFullQueueDropsInsteadOfBlocking(t *testing.T) {
	f := stalledCollector(t)
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(1), footprint.WithQueueSize(5),
		footprint.WithRPCTimeout(time.Hour))
	track(t, c, "first")
	// The sender is now stuck in a call with the first event, so the
	// queue's five slots are all that is left.
	waitCall(t, f.calls)

	type result struct{ ok, full int }
	done := make(chan result, 1)
	go func() {
		var r result
		for range 100 {
			switch err := c.Track(context.Background(), &eventv1.Event{Name: "more"}); {
			case err == nil:
				r.ok++
			case errors.Is(err, footprint.ErrQueueFull):
				r.full++
			}
		}
		done <- r
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(waitLimit):
		t.Fatal("Track blocked on a full queue")
	}
	if r.ok != 5 || r.full != 95 {
		t.Errorf("Track queued %d and dropped %d, want 5 and 95", r.ok, r.full)
	}
	if s := c.Stats(); s.Dropped != 95 || s.Queued != 5 {
		t.Errorf("stats = %+v, want 95 dropped, 5 queued", s)
	}

	const deadline = 300 * time.Millisecond
	start := time.Now()
	n, err := closeClient(t, c, deadline)
	elapsed := time.Since(start)
	// Close must give up at its deadline; the slack covers scheduling on a
	// busy machine under -race, not network waits.
	if elapsed > deadline+time.Second {
		t.Errorf("Close took %v with a %v deadline", elapsed, deadline)
	}
	if n != 6 {
		t.Errorf("Close reported %d undelivered, want 6 (5 queued + 1 in flight)", n)
	}
	if !errors.Is(err, footprint.ErrUndelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close error = %v, want ErrUndelivered and DeadlineExceeded", err)
	}
	s := c.Stats()
	if s.Tracked != 101 || s.Failed != 6 || s.Sent != 0 {
		t.Errorf("stats = %+v, want 101 tracked, 6 failed, 0 sent", s)
	}
	checkBalance(t, s)
}

func TestDropOldestKeepsNewest(t *testing.T) {
	release := make(chan struct{})
	f := &fakeCollector{
		calls: make(chan call, 100),
		handle: func(ctx context.Context, n int, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
			if n == 0 {
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			return acceptAll(req), nil
		},
	}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(1), footprint.WithQueueSize(5),
		footprint.WithDropPolicy(footprint.DropOldest))
	want := []string{track(t, c, "e0").GetEventId()}
	waitCall(t, f.calls)
	var all []string
	for i := 1; i <= 10; i++ {
		ev := &eventv1.Event{Name: fmt.Sprintf("e%d", i)}
		if err := c.Track(context.Background(), ev); err != nil {
			t.Fatalf("Track with DropOldest = %v, want nil", err)
		}
		all = append(all, ev.GetEventId())
	}
	want = append(want, all[5:]...)
	close(release)
	if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
		t.Fatalf("Close = %d, %v; want 0, nil", n, err)
	}
	var sent []string
	for _, cl := range f.snapshot() {
		sent = append(sent, ids(cl.events)...)
	}
	if fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("sent %v, want the first and the five newest %v", sent, want)
	}
	s := c.Stats()
	if s.Dropped != 5 || s.Sent != 6 {
		t.Errorf("stats = %+v, want 5 dropped, 6 sent", s)
	}
	checkBalance(t, s)
}

func TestConcurrentTrack(t *testing.T) {
	f := &fakeCollector{}
	c := newClient(t, startFake(t, f), footprint.WithBatchSize(50), footprint.WithFlushInterval(5*time.Millisecond))
	const workers, each = 8, 300
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_ = c.Track(context.Background(), &eventv1.Event{Name: "e"})
			}
		})
	}
	wg.Wait()
	if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
		t.Fatalf("Close = %d, %v; want 0, nil", n, err)
	}
	seen := map[string]bool{}
	for _, cl := range f.snapshot() {
		if len(cl.events) > 50 {
			t.Errorf("batch of %d events exceeds the batch size", len(cl.events))
		}
		for _, id := range ids(cl.events) {
			if seen[id] {
				t.Errorf("event %s sent twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("collector received %d distinct events, want %d", len(seen), workers*each)
	}
	s := c.Stats()
	if s.Sent != workers*each {
		t.Errorf("stats = %+v, want %d sent", s, workers*each)
	}
	checkBalance(t, s)
}

func TestTrackAfterClose(t *testing.T) {
	c := newClient(t, startFake(t, &fakeCollector{}))
	if n, err := closeClient(t, c, waitLimit); n != 0 || err != nil {
		t.Fatalf("Close = %d, %v; want 0, nil", n, err)
	}
	if err := c.Track(context.Background(), &eventv1.Event{}); !errors.Is(err, footprint.ErrClosed) {
		t.Errorf("Track after Close = %v, want ErrClosed", err)
	}
	if err := c.Track(context.Background(), nil); !errors.Is(err, footprint.ErrNilEvent) {
		t.Errorf("Track(nil) = %v, want ErrNilEvent", err)
	}
	if _, err := closeClient(t, c, waitLimit); !errors.Is(err, footprint.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if s := c.Stats(); s.Dropped != 1 || s.Tracked != 1 {
		t.Errorf("stats = %+v, want 1 tracked and dropped", s)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	_, err := footprint.New("", footprint.WithBatchSize(0), footprint.WithQueueSize(-1),
		footprint.WithFlushInterval(0), footprint.WithBackoff(time.Second, time.Millisecond),
		footprint.WithRPCTimeout(0), footprint.WithDropPolicy(7), footprint.WithMaxRetries(-2),
		footprint.WithInsecure(), footprint.WithTLSConfig(nil))
	for _, want := range []error{
		footprint.ErrNoAddress, footprint.ErrBatchSize, footprint.ErrQueueSize, footprint.ErrFlushInterval,
		footprint.ErrBackoff, footprint.ErrRPCTimeout, footprint.ErrDropPolicy, footprint.ErrNegativeRetryCap,
	} {
		if !errors.Is(err, want) {
			t.Errorf("New error %v does not include %v", err, want)
		}
	}
}
