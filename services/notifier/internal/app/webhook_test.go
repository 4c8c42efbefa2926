package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/footprint/footprint/internal/wire"
	nt "github.com/footprint/footprint/services/notifier/internal/notifiertest"
	"github.com/footprint/footprint/services/notifier/internal/webhook"
)

func comments(n int, prefix string) []nt.Action {
	out := make([]nt.Action, n)
	for i := range out {
		out[i] = nt.Action{Name: "comment_created", Actor: fmt.Sprintf("%s%d", prefix, i), ActorName: "Ada", Recipient: "grace", PostID: "p", Title: fmt.Sprintf("%s%d", prefix, i)}
	}
	return out
}

func produceAll(e *nt.Env, actions []nt.Action) {
	for _, a := range actions {
		e.Produce(nt.Event(a))
	}
}

// A receiver that fails its first two attempts of every message gets each
// message again, with the same webhook-id and body and a valid signature,
// until it answers 2xx; retries are counted.
func TestWebhookReceiverFailsThenRecovers(t *testing.T) {
	e := nt.New(t)
	rc := nt.NewReceiver(t, func(_ nt.Request, attempt int) int {
		if attempt < 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.Start(nt.RulesFile(t, nt.Hook{Name: "flaky", URL: rc.URL, MaxAttempts: 10}), nil)
	produceAll(e, comments(5, "c"))
	nt.Eventually(t, 30*time.Second, func() string {
		if d := rc.Delivered(); len(d) != 5 {
			return fmt.Sprintf("%d of 5 messages delivered", len(d))
		}
		return ""
	})
	bodies := map[string]string{}
	for _, r := range rc.Requests() {
		if !r.Valid {
			t.Fatalf("invalid signature on %s", r.ID)
		}
		if !strings.HasPrefix(r.ID, "msg_") {
			t.Fatalf("webhook-id %q", r.ID)
		}
		if b, ok := bodies[r.ID]; ok && b != r.Body {
			t.Fatalf("body of %s changed between attempts", r.ID)
		}
		bodies[r.ID] = r.Body
		if !strings.Contains(r.Body, `"type":"notification.created"`) || !strings.Contains(r.Body, `"text":"Ada commented on c`) {
			t.Fatalf("body %s", r.Body)
		}
	}
	if n := len(rc.Requests()); n != 15 {
		t.Fatalf("%d requests, want 15 (3 per message)", n)
	}
	nt.Eventually(t, 10*time.Second, func() string {
		m := e.Metrics()
		for _, s := range []string{`footprint_notifier_webhook_retries_total{endpoint="flaky"} 10`, `footprint_notifier_webhook_attempts_total{endpoint="flaky",result="ok"} 5`,
			`footprint_notifier_webhook_latency_seconds_count{endpoint="flaky"} 5`} {
			if !strings.Contains(m, s) {
				return "metrics lack " + s
			}
		}
		return ""
	})
}

// A receiver that hangs holds only its own deliveries: another endpoint of
// the same rule gets every message at once, and so does the inbox.
func TestHangingReceiverDelaysNoOne(t *testing.T) {
	e := nt.New(t)
	release := make(chan struct{})
	hang := nt.NewReceiver(t, func(nt.Request, int) int {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
		return http.StatusOK
	})
	t.Cleanup(func() { close(release) }) // before the receiver's Close, which waits for its handlers
	ok := nt.NewReceiver(t, nil)
	e.Start(nt.RulesFile(t, nt.Hook{Name: "hang", URL: hang.URL, Concurrency: 2}, nt.Hook{Name: "ok", URL: ok.URL}),
		map[string]string{"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT": "20s", "FOOTPRINT_NOTIFIER_WEBHOOK_LEASE": "60s"})
	start := time.Now()
	produceAll(e, comments(30, "h"))
	nt.Eventually(t, 15*time.Second, func() string {
		if d := ok.Delivered(); len(d) != 30 {
			return fmt.Sprintf("healthy endpoint: %d of 30", len(d))
		}
		if n := len(e.List("grace")); n != 30 {
			return fmt.Sprintf("inbox: %d of 30", n)
		}
		return ""
	})
	t.Logf("healthy endpoint and inbox complete %s after the first produce, while the hanging one holds %d requests",
		time.Since(start).Round(time.Millisecond), e.Query("SELECT count(*) FROM notifier.webhook_outbox WHERE endpoint = 'hang' AND leased_until > now()"))
	if n := e.Query("SELECT count(*) FROM notifier.webhook_outbox WHERE endpoint = 'hang' AND leased_until > now()"); n != 2 {
		t.Fatalf("%d deliveries in flight to the hanging endpoint, want its limit 2", n)
	}
}

// A message that fails every attempt goes to the dead-letter topic with
// the reason, and is not tried again.
func TestWebhookDeadLetter(t *testing.T) {
	e := nt.New(t)
	dead := nt.NewReceiver(t, func(nt.Request, int) int { return http.StatusInternalServerError })
	e.Start(nt.RulesFile(t, nt.Hook{Name: "dead", URL: dead.URL, MaxAttempts: 3}), nil)
	e.Produce(nt.Event(comments(1, "d")[0]))
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": e.Brokers, "group.id": e.Group + "-dlq-check", "auto.offset.reset": "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(e.DLQTopic, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var msg *kafka.Message
	for msg == nil && ctx.Err() == nil {
		if m, err := c.ReadMessage(time.Second); err == nil {
			msg = m
		}
	}
	if msg == nil {
		t.Fatalf("no dead letter within 30s; receiver got %d requests", len(dead.Requests()))
	}
	headers := map[string]string{}
	for _, h := range msg.Headers {
		headers[h.Key] = string(h.Value)
	}
	if !strings.Contains(headers[wire.HeaderDLQError], "3 attempts failed, last: endpoint answered 500") ||
		headers[webhook.HeaderDLQEndpoint] != "dead" || headers[webhook.HeaderID] != string(msg.Key) {
		t.Fatalf("dead letter headers %v", headers)
	}
	if n := len(dead.Requests()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	nt.Eventually(t, 10*time.Second, func() string {
		if !strings.Contains(e.Metrics(), `footprint_notifier_webhook_dead_letters_total{endpoint="dead"} 1`) {
			return "dead letter not counted"
		}
		return ""
	})
	// The row is marked dead after the letter is sent and counted.
	nt.Eventually(t, 10*time.Second, func() string {
		if n := e.Query("SELECT count(*) FROM notifier.webhook_outbox WHERE dead_at IS NOT NULL"); n != 1 {
			return fmt.Sprintf("%d outbox rows marked dead, want 1", n)
		}
		return ""
	})
}
