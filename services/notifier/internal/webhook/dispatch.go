package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/footprint/footprint/services/notifier/internal/config"
	"github.com/footprint/footprint/services/notifier/internal/inbox"
	"github.com/footprint/footprint/services/notifier/internal/metrics"
	"github.com/footprint/footprint/services/notifier/internal/rules"
)

// Outbox is the inbox's webhook outbox.
type Outbox interface {
	Claim(ctx context.Context, endpoint string, limit int, lease time.Duration) ([]inbox.Delivery, error)
	Delivered(ctx context.Context, id int64) error
	Retry(ctx context.Context, id int64, at time.Time, reason string) error
	Dead(ctx context.Context, id int64, reason string) error
}

// DeadLetters takes messages that failed their last attempt.
type DeadLetters interface {
	Send(ctx context.Context, d inbox.Delivery, reason string) error
}

// Endpoint is one configured endpoint with its limits resolved.
type Endpoint struct {
	Name        string
	URL         string
	Signer      Signer
	Concurrency int
	MaxAttempts int
}

// Endpoints resolves the rules' webhooks against the defaults.
func Endpoints(set *rules.Set, def config.Webhook) ([]Endpoint, error) {
	var out []Endpoint
	for _, w := range set.Webhooks() {
		s, err := NewSigner(w.Secret)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", w.Name, err)
		}
		e := Endpoint{Name: w.Name, URL: w.URL, Signer: s, Concurrency: def.Concurrency, MaxAttempts: def.MaxAttempts}
		if w.Concurrency > 0 {
			e.Concurrency = w.Concurrency
		}
		if w.MaxAttempts > 0 {
			e.MaxAttempts = w.MaxAttempts
		}
		out = append(out, e)
	}
	return out, nil
}

// Dispatcher runs one worker per endpoint.
type Dispatcher struct {
	cfg     config.Webhook
	outbox  Outbox
	dlq     DeadLetters
	m       *metrics.Metrics
	log     *slog.Logger
	client  *http.Client
	workers []*worker
}

// New builds the dispatcher of endpoints.
func New(cfg config.Webhook, endpoints []Endpoint, outbox Outbox, dlq DeadLetters, m *metrics.Metrics, logger *slog.Logger) *Dispatcher {
	d := &Dispatcher{cfg: cfg, outbox: outbox, dlq: dlq, m: m, log: logger,
		// No client-wide timeout: each attempt has its own context deadline.
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second}}}
	for _, e := range endpoints {
		d.workers = append(d.workers, &worker{d: d, ep: e, wake: make(chan struct{}, 1), slots: make(chan struct{}, e.Concurrency)})
	}
	return d
}

// Wake tells every worker that new messages may be due (after an inbox commit).
func (d *Dispatcher) Wake() {
	for _, w := range d.workers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends, then waits for attempts in flight (each is
// bounded by the webhook timeout).
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range d.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx) }()
	}
	wg.Wait()
}

// worker delivers one endpoint's messages, at most Concurrency at once.
type worker struct {
	d     *Dispatcher
	ep    Endpoint
	wake  chan struct{}
	slots chan struct{} // a token per attempt in flight
}

func (w *worker) run(ctx context.Context) {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	freed := make(chan struct{}, 1)
	poll := time.NewTicker(w.d.cfg.Poll)
	defer poll.Stop()
	for {
		claimed := w.claim(ctx, &inflight, freed)
		if claimed > 0 && len(w.slots) < cap(w.slots) {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-freed:
		case <-poll.C:
		}
	}
}

// claim leases as many due messages as there are free slots and starts
// their attempts; it returns how many it started.
func (w *worker) claim(ctx context.Context, inflight *sync.WaitGroup, freed chan struct{}) int {
	free := cap(w.slots) - len(w.slots)
	if free == 0 || ctx.Err() != nil {
		return 0
	}
	batch, err := w.d.outbox.Claim(ctx, w.ep.Name, free, w.d.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.d.log.Warn("claim webhooks", "endpoint", w.ep.Name, "err", err)
		}
		return 0
	}
	for _, del := range batch {
		w.slots <- struct{}{}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			w.attempt(ctx, del)
			<-w.slots
			select {
			case freed <- struct{}{}:
			default:
			}
		}()
	}
	return len(batch)
}

// attempt makes one delivery attempt and records its outcome.
func (w *worker) attempt(ctx context.Context, del inbox.Delivery) {
	err := w.post(ctx, del)
	// The outcome is recorded even when shutting down: the lease would
	// otherwise delay the retry.
	rec := context.WithoutCancel(ctx)
	log := w.d.log.With("endpoint", w.ep.Name, "webhook_id", del.WebhookID, "attempt", del.Attempt)
	if err == nil {
		w.d.m.Deliveries.WithLabelValues(w.ep.Name, "ok").Inc()
		w.d.m.WebhookLatency.WithLabelValues(w.ep.Name).Observe(time.Since(del.EventReceivedAt).Seconds())
		if rerr := w.d.outbox.Delivered(rec, del.ID); rerr != nil {
			log.Warn("record webhook delivery (it will be sent again)", "err", rerr)
		}
		return
	}
	w.d.m.Deliveries.WithLabelValues(w.ep.Name, "error").Inc()
	reason := err.Error()
	if del.Attempt >= w.ep.MaxAttempts && ctx.Err() == nil {
		w.deadLetter(rec, del, fmt.Sprintf("%d attempts failed, last: %s", del.Attempt, reason), log)
		return
	}
	next := time.Now().Add(Backoff(del.Attempt, w.d.cfg.RetryInitial, w.d.cfg.RetryMax))
	if ctx.Err() != nil {
		next = time.Now() // interrupted by shutdown: due at once for the next process
	}
	w.d.m.Retries.WithLabelValues(w.ep.Name).Inc()
	log.Info("webhook attempt failed, will retry", "err", reason, "next_attempt_at", next)
	if rerr := w.d.outbox.Retry(rec, del.ID, next, reason); rerr != nil {
		log.Warn("record webhook retry", "err", rerr)
	}
}

func (w *worker) deadLetter(ctx context.Context, del inbox.Delivery, reason string, log *slog.Logger) {
	if err := w.d.dlq.Send(ctx, del, reason); err != nil {
		// Not marked dead: after the lease it is claimed and tried again.
		log.Warn("send webhook to the dead-letter topic", "err", err)
		return
	}
	w.d.m.DeadLetters.WithLabelValues(w.ep.Name).Inc()
	log.Warn("webhook sent to the dead-letter topic", "reason", reason)
	if err := w.d.outbox.Dead(ctx, del.ID, reason); err != nil {
		log.Warn("record webhook dead letter", "err", err)
	}
}

// post sends one signed request; any 2xx answer is a delivery.
func (w *worker) post(ctx context.Context, del inbox.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, w.d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.ep.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, del.WebhookID)
	req.Header.Set(HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(HeaderSignature, w.ep.Signer.Sign(del.WebhookID, now, del.Payload))
	resp, err := w.d.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

// Backoff is the wait after failed attempt n (1-based): initial doubled
// per attempt, capped at maxWait, with "equal jitter" (half fixed, half
// random) so that retries of many messages spread out.
func Backoff(n int, initial, maxWait time.Duration) time.Duration {
	d := initial
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}
