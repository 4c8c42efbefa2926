package notifiertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footprint/footprint/services/notifier/internal/webhook"
)

// Secret is the webhook secret of every test receiver.
const Secret = "whsec_dGVzdC1zZWNyZXQtb2YtdGhlLW5vdGlmaWVyLXRlc3Rz"

// Request is one webhook request a Receiver got.
type Request struct {
	ID, Timestamp string
	Body          string
	Valid         bool // the signature verified
	Status        int
}

// Receiver is a webhook endpoint that records every request; Respond
// decides each answer (nil: 204).
type Receiver struct {
	URL     string
	mu      sync.Mutex
	reqs    []Request
	respond func(r Request, attempt int) int
	signer  webhook.Signer
}

// NewReceiver starts an endpoint. respond gets the request and how many
// requests with its webhook-id came before (0 for the first) and returns
// the status; it may block to simulate a hanging endpoint.
func NewReceiver(t testing.TB, respond func(r Request, attempt int) int) *Receiver {
	signer, err := webhook.NewSigner(Secret)
	if err != nil {
		t.Fatal(err)
	}
	rc := &Receiver{respond: respond, signer: signer}
	srv := httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{ID: r.Header.Get(webhook.HeaderID), Timestamp: r.Header.Get(webhook.HeaderTimestamp), Body: string(body)}
	req.Valid = rc.signer.Verify(req.ID, req.Timestamp, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
	rc.mu.Lock()
	attempt := 0
	for _, p := range rc.reqs {
		if p.ID == req.ID {
			attempt++
		}
	}
	rc.mu.Unlock()
	req.Status = http.StatusNoContent
	if rc.respond != nil {
		req.Status = rc.respond(req, attempt)
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, req)
	rc.mu.Unlock()
	w.WriteHeader(req.Status)
}

// Requests returns what was received so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.reqs...)
}

// Delivered returns the webhook-ids answered with 2xx, with how often.
func (rc *Receiver) Delivered() map[string]int {
	out := map[string]int{}
	for _, r := range rc.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out[r.ID]++
		}
	}
	return out
}

// Hook is one endpoint of a rules file.
type Hook struct {
	Name, URL   string
	Concurrency int
	MaxAttempts int
}

// RulesFile writes the default rules with webhooks on comment_created and
// returns its path.
func RulesFile(t testing.TB, hooks ...Hook) string {
	var b strings.Builder
	b.WriteString(`rules:
  - name: comment_created
    event: comment_created
    properties: {recipient: recipient_user_id, actor_name: actor_name, object_id: post_id, object_title: post_title}
    text: "{actor} commented on {title}"
    channels: [inbox, webhook]
    webhooks:
`)
	for _, h := range hooks {
		fmt.Fprintf(&b, "      - {name: %s, url: %q, secret: %s, concurrency: %d, max_attempts: %d}\n", h.Name, h.URL, Secret, h.Concurrency, h.MaxAttempts)
	}
	b.WriteString(`  - name: like_created
    event: like_created
    properties: {recipient: recipient_user_id, actor_name: actor_name, object_id: post_id, object_title: post_title}
    group: {window: 10m}
    text: "{actor} liked {title}"
    text_many: "{actor} and {others} liked {title}"
    channels: [inbox]
`)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
