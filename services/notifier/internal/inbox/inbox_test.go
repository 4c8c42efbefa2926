package inbox_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/notifier/internal/inbox"
	nt "github.com/footprint/footprint/services/notifier/internal/notifiertest"
	"github.com/footprint/footprint/services/notifier/internal/rules"
)

// The outbox lifecycle on a real database: a webhook message is written
// with its notification, claimed under a lease (not claimable twice),
// retried, delivered, and pruned once older than the retention.
func TestOutboxLifecycle(t *testing.T) {
	e := nt.New(t)
	set, err := rules.Load(nt.RulesFile(t, nt.Hook{Name: "h", URL: "http://127.0.0.1:1/"}), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	var committed []inbox.WriteResult
	ctx := context.Background()
	s, err := inbox.Open(ctx, e.PGURL, set, inbox.Hooks{Committed: func(r inbox.WriteResult) { committed = append(committed, r) }},
		slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	ev := nt.Event(nt.Action{Name: "comment_created", Actor: "ada", ActorName: "Ada", Recipient: "grace", PostID: "p", Title: "T"})
	for range 2 { // the second write is a redelivery
		if err := s.WriteBatch(ctx, []*eventv1.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if len(committed) != 2 || len(committed[0].Changes) != 1 || committed[0].Webhooks != 1 || committed[1].Duplicates != 1 {
		t.Fatalf("write results %+v", committed)
	}
	d, err := s.Claim(ctx, "h", 10, time.Minute)
	if err != nil || len(d) != 1 || d[0].Attempt != 1 || d[0].WebhookID != "msg_"+ev.GetEventId() {
		t.Fatalf("claim: %+v %v", d, err)
	}
	if again, _ := s.Claim(ctx, "h", 10, time.Minute); len(again) != 0 {
		t.Fatal("a leased message was claimed twice")
	}
	if err := s.Retry(ctx, d[0].ID, time.Now(), "boom"); err != nil {
		t.Fatal(err)
	}
	d, _ = s.Claim(ctx, "h", 10, time.Minute)
	if len(d) != 1 || d[0].Attempt != 2 || d[0].LastError != "boom" {
		t.Fatalf("retry claim: %+v", d)
	}
	if err := s.Delivered(ctx, d[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Pending(ctx, "h"); n != 0 {
		t.Fatalf("%d pending after delivery", n)
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruned a fresh message: %d %v", n, err)
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	if n := e.Query("SELECT count(*) FROM notifier.notifications"); n != 1 {
		t.Fatalf("pruning touched the inbox: %d notifications", n)
	}
}
