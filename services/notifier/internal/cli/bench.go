package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
)

// ErrIncomplete reports that not every notification of a bench arrived.
var ErrIncomplete = errors.New("bench: not every notification arrived")

// BenchOptions configure Bench.
type BenchOptions struct {
	Collector, CollectorKey string
	Notifier, NotifierKey   string
	Site                    string
	// Rate is comments per second, each its own Ingest call.
	Rate int
	// Duration of the steady load.
	Duration time.Duration
	// Drain is how long to wait for the last notifications.
	Drain time.Duration
}

// BenchResult is the latency distribution from Ingest acknowledgement to
// the Subscribe client receiving the notification.
type BenchResult struct {
	Sent, Received          int
	P50, P95, P99, Max, Min time.Duration
}

// Bench subscribes as a fresh user, sends comment_created events for that
// user through the collector at a steady rate, and measures for each the
// time from the Ingest acknowledgement to the notification's arrival.
func Bench(ctx context.Context, o BenchOptions, w io.Writer) (BenchResult, error) {
	cconn, err := Dial(o.Collector)
	if err != nil {
		return BenchResult{}, err
	}
	defer func() { _ = cconn.Close() }()
	nconn, err := Dial(o.Notifier)
	if err != nil {
		return BenchResult{}, err
	}
	defer func() { _ = nconn.Close() }()
	user := "bench-" + randomHex()
	subCtx, stop := context.WithCancel(WithKey(ctx, o.NotifierKey))
	defer stop()
	stream, err := notifierv1.NewNotificationServiceClient(nconn).Subscribe(subCtx, &notifierv1.SubscribeRequest{SiteId: o.Site, UserId: user})
	if err != nil {
		return BenchResult{}, fmt.Errorf("subscribe: %w", err)
	}
	if _, err := stream.Header(); err != nil {
		return BenchResult{}, fmt.Errorf("subscribe: %w", err)
	}
	var mu sync.Mutex
	acked, received := map[string]time.Time{}, map[string]time.Time{}
	total := o.Rate * int(o.Duration/time.Second)
	all := make(chan struct{})
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			mu.Lock()
			received[m.GetNotification().GetObjectId()] = time.Now()
			if len(received) == total {
				close(all)
			}
			mu.Unlock()
		}
	}()
	_, _ = fmt.Fprintf(w, "bench: %d comments/s for %s to user %s (collector %s, notifier %s)\n", o.Rate, o.Duration, user, o.Collector, o.Notifier)
	ingest := collectorv1.NewCollectorServiceClient(cconn)
	if err := sendSteady(WithKey(ctx, o.CollectorKey), ingest, o, user, total, func(id string, at time.Time) {
		mu.Lock()
		acked[id] = at
		mu.Unlock()
	}); err != nil {
		return BenchResult{}, err
	}
	select {
	case <-all:
	case <-time.After(o.Drain):
	case <-ctx.Done():
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	return summarize(acked, received), nil
}

// sendSteady sends total comments, one per tick, each its own Ingest call
// (so the acknowledgement time is the event's own).
func sendSteady(ctx context.Context, c collectorv1.CollectorServiceClient, o BenchOptions, user string, total int, ack func(string, time.Time)) error {
	tick := time.NewTicker(time.Second / time.Duration(o.Rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for i := range total {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			obj := fmt.Sprintf("bench-%d", i)
			ev := &eventv1.Event{EventId: uuid.NewString(), SiteId: o.Site, Name: "comment_created", UserId: fmt.Sprintf("bench-actor-%d", i%50),
				VisitorId: fmt.Sprintf("bench-visitor-%d", i%50), OccurredAt: timestamppb.Now(),
				Properties: map[string]string{"recipient_user_id": user, "actor_name": "Bench", "post_id": obj, "post_title": obj}}
			resp, err := c.Ingest(ctx, &collectorv1.IngestRequest{Events: []*eventv1.Event{ev}})
			if err != nil || resp.GetAcceptedCount() != 1 {
				errs <- fmt.Errorf("ingest %s: %v %v", obj, err, resp.GetResults())
				return
			}
			ack(obj, time.Now())
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func summarize(acked, received map[string]time.Time) BenchResult {
	var lat []time.Duration
	for id, a := range acked {
		if r, ok := received[id]; ok {
			lat = append(lat, max(r.Sub(a), 0))
		}
	}
	slices.Sort(lat)
	res := BenchResult{Sent: len(acked), Received: len(lat)}
	if len(lat) == 0 {
		return res
	}
	q := func(p float64) time.Duration { return lat[min(int(p*float64(len(lat))), len(lat)-1)] }
	res.P50, res.P95, res.P99, res.Min, res.Max = q(0.50), q(0.95), q(0.99), lat[0], lat[len(lat)-1]
	return res
}

// String prints the result as the bench reports it.
func (r BenchResult) String() string {
	return fmt.Sprintf("ingest ack -> Subscribe receive: sent %d, received %d; p50 %s p95 %s p99 %s (min %s, max %s)",
		r.Sent, r.Received, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Min), ms(r.Max))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
