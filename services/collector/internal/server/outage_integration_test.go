package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/services/collector/internal/config"
)

// TestKafkaOutage stops a private broker under the collector:
//   - Ingest fails with Unavailable before its deadline;
//   - after the broker is back, the client's retries of the same request
//     (same event_ids) succeed;
//   - the topic then holds every event_id of the request: the set of distinct
//     ids read back equals the set sent (N ids). Copies of an id may appear
//     more than once, because the attempts during the outage stayed queued in
//     the producer and were delivered after the restart; the writers store
//     each event_id once.
func TestKafkaOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private Kafka broker")
	}
	broker := testenv.StartKafka(t)
	topic := testenv.NewTopic(t, broker.Brokers, 3)
	c := startCollector(t, broker.Brokers, topic, func(cfg *config.Config) {
		// Long enough for the queued attempts to survive the restart.
		cfg.Kafka.MessageTimeout = 2 * time.Minute
		cfg.Kafka.ReadinessCache = 100 * time.Millisecond
	})
	ctx := withKey(context.Background(), keyA)

	// Warm up: the producer has its idempotence id and metadata.
	warm := &collectorv1.IngestRequest{Events: []*eventv1.Event{{EventId: uuid.NewString(), SiteId: "site-a", VisitorId: "w"}}}
	if _, err := c.client.Ingest(ctx, warm); err != nil {
		t.Fatalf("warm-up Ingest: %v", err)
	}

	const n = 50
	req := &collectorv1.IngestRequest{}
	want := map[string]bool{warm.Events[0].EventId: true}
	for i := range n {
		id := uuid.NewString()
		want[id] = true
		req.Events = append(req.Events, &eventv1.Event{EventId: id, SiteId: "site-a", VisitorId: "v" + string(rune('a'+i%26))})
	}

	if err := c.prod.Ready(context.Background()); err != nil {
		t.Fatalf("not ready with Kafka up: %v", err)
	}

	broker.Stop()
	waitReadiness(t, c, false)

	const deadline = 3 * time.Second
	callCtx, cancel := context.WithTimeout(ctx, deadline)
	start := time.Now()
	_, err := c.client.Ingest(callCtx, req)
	elapsed := time.Since(start)
	cancel()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("Ingest with Kafka stopped: %v, want Unavailable", err)
	}
	if elapsed >= deadline {
		t.Fatalf("Unavailable after %s, not within the %s deadline", elapsed, deadline)
	}
	t.Logf("Kafka stopped: Unavailable after %s (deadline %s): %v", elapsed.Round(time.Millisecond), deadline, err)

	broker.Start()
	waitReadiness(t, c, true)

	// The client retries the same request with backoff until it succeeds.
	retryUntil := time.Now().Add(90 * time.Second)
	backoff := 200 * time.Millisecond
	attempts := 1
	for {
		attempts++
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := c.client.Ingest(callCtx, req)
		cancel()
		if err == nil {
			if resp.AcceptedCount != n {
				t.Fatalf("retry accepted %d of %d", resp.AcceptedCount, n)
			}
			break
		}
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("retry: %v, want OK or Unavailable", err)
		}
		if time.Now().After(retryUntil) {
			t.Fatalf("retries still failing after the restart: %v", err)
		}
		time.Sleep(backoff) // client backoff between retries
		backoff = min(2*backoff, 2*time.Second)
	}
	t.Logf("succeeded on attempt %d", attempts)

	msgs := readTopic(t, broker.Brokers, topic)
	got := map[string]int{}
	for _, id := range eventIDs(t, msgs) {
		got[id]++
	}
	for id := range want {
		if got[id] == 0 {
			t.Errorf("event %s missing from the topic", id)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected event %s on the topic", id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct event ids on the topic, want %d", len(got), len(want))
	}
	t.Logf("%d messages for %d distinct event ids", len(msgs), len(got))
}

// waitReadiness polls the readiness check behind /readyz until it reports
// want (ready or not), within 30 s.
func waitReadiness(t *testing.T, c *collector, want bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.prod.Ready(context.Background())
		if (err == nil) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness still %v after 30s, want ready=%v", err, want)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}
