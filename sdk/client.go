package footprint

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Errors returned by [Client.Track] and [Client.Close].
var (
	// ErrQueueFull means the event was dropped because the queue was full.
	ErrQueueFull = errors.New("footprint: queue full, event dropped")
	// ErrClosed means the client is closed; the event was dropped.
	ErrClosed = errors.New("footprint: client closed")
	// ErrNilEvent means Track was called with a nil event.
	ErrNilEvent = errors.New("footprint: nil event")
	// ErrUndelivered means Close could not deliver some events.
	ErrUndelivered = errors.New("footprint: events not delivered")
)

// RejectedEventError reports an event the collector rejected as invalid. The
// event is not retried: sending it again would be rejected again.
type RejectedEventError struct {
	Event  *eventv1.Event
	Result *collectorv1.EventResult
}

func (e *RejectedEventError) Error() string {
	return fmt.Sprintf("footprint: event %s rejected: %s: %s (%s)",
		e.Event.GetEventId(), e.Result.GetField(), e.Result.GetMessage(), e.Result.GetRejectReason())
}

// DeliveryError reports a batch that could not be delivered: the collector
// answered with an error that retrying does not fix (for example
// Unauthenticated), the retries were exhausted, or Close's deadline passed.
type DeliveryError struct {
	Events []*eventv1.Event
	Err    error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("footprint: %d events not delivered: %v", len(e.Events), e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Stats are the client's counters since it was created. After Close,
// Tracked == Sent + Rejected + Dropped + Failed.
type Stats struct {
	// Tracked counts Track calls with a non-nil event.
	Tracked uint64
	// Sent counts events the collector accepted.
	Sent uint64
	// Rejected counts events the collector rejected as invalid.
	Rejected uint64
	// Dropped counts events discarded by the drop policy or tracked after Close.
	Dropped uint64
	// Failed counts events given up after a non-retryable error, exhausted
	// retries, or Close's deadline.
	Failed uint64
	// Retries counts Ingest calls that were retried.
	Retries uint64
	// Queued is the number of events currently waiting in the queue.
	Queued int
}

// Client sends events to the Footprint collector in the background. It is
// safe for concurrent use. Create it with [New] and stop it with
// [Client.Close].
type Client struct {
	cfg  config
	log  *slog.Logger
	conn *grpc.ClientConn
	rpc  collectorv1.CollectorServiceClient

	queue chan *eventv1.Event

	// mu orders Track's enqueue against Close: once closed is set no event
	// can enter the queue, so the sender's final drain sees every event.
	mu     sync.RWMutex
	closed bool

	closing chan struct{}      // closed by Close: flush everything and exit
	done    chan struct{}      // closed when the sender has exited
	ctx     context.Context    // cancelled when Close's deadline passes
	cancel  context.CancelFunc // aborts in-flight calls and backoff waits

	tracked, sent, rejected, dropped, failed, retries atomic.Uint64
}

// New creates a client for the collector at addr (host:port) and starts its
// background sender. It does not connect yet: the connection is made on the
// first call and re-made after failures.
func New(addr string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	var errs []error
	if addr == "" {
		errs = append(errs, ErrNoAddress)
	}
	if err := cfg.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var creds credentials.TransportCredentials
	switch {
	case cfg.insecure:
		creds = insecure.NewCredentials()
	case cfg.tlsConfig != nil:
		creds = credentials.NewTLS(cfg.tlsConfig)
	default:
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// gRPC's default reconnect backoff grows to 120 s; after a collector
		// restart the client would sit idle for minutes with a full queue.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  cfg.backoffInitial,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   cfg.backoffMax,
			},
			MinConnectTimeout: cfg.rpcTimeout,
		}),
	}
	if cfg.apiKey != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{key: cfg.apiKey, requireTLS: !cfg.insecure}))
	}
	dial = append(dial, cfg.dialOptions...)
	conn, err := grpc.NewClient(addr, dial...)
	if err != nil {
		return nil, fmt.Errorf("footprint: create grpc client: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:     cfg,
		log:     log,
		conn:    conn,
		rpc:     collectorv1.NewCollectorServiceClient(conn),
		queue:   make(chan *eventv1.Event, cfg.queueSize),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	go c.run()
	return c, nil
}

// Track queues ev for sending and returns at once; it never waits for the
// network or for room in the queue. It sets ev.EventId (a UUIDv7) and
// ev.OccurredAt (now) when they are empty, and ev.SiteId from [WithSiteID]
// when empty. Track takes ownership of ev: do not modify it afterwards.
//
// It returns [ErrQueueFull] when ev was dropped because the queue was full
// (with [DropOldest] another event is dropped instead and Track returns nil),
// and [ErrClosed] after Close. Drops are counted in [Stats]. ctx is not used
// for waiting; it is accepted so that future versions can read request-scoped
// values from it.
func (c *Client) Track(ctx context.Context, ev *eventv1.Event) error {
	_ = ctx
	if ev == nil {
		return ErrNilEvent
	}
	c.tracked.Add(1)
	if ev.EventId == "" {
		// A client-side id is what makes retries safe: the collector would
		// assign a new id to each attempt otherwise.
		if id, err := uuid.NewV7(); err == nil {
			ev.EventId = id.String()
		} else {
			c.log.Warn("footprint: cannot create event id; the collector will assign one", "err", err)
		}
	}
	if ev.OccurredAt == nil {
		ev.OccurredAt = timestamppb.Now()
	}
	if ev.SiteId == "" {
		ev.SiteId = c.cfg.siteID
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		c.drop(ev, ErrClosed)
		return ErrClosed
	}
	select {
	case c.queue <- ev:
		return nil
	default:
	}
	if c.cfg.dropPolicy == DropOldest {
		// Other goroutines race for the freed slot, so try a few times
		// before falling back to dropping this event.
		for range 4 {
			select {
			case old := <-c.queue:
				c.drop(old, ErrQueueFull)
			default:
			}
			select {
			case c.queue <- ev:
				return nil
			default:
			}
		}
	}
	c.drop(ev, ErrQueueFull)
	return ErrQueueFull
}

// drop counts a dropped event and logs the first drop and then every
// thousandth, so a long outage does not flood the log.
func (c *Client) drop(ev *eventv1.Event, reason error) {
	n := c.dropped.Add(1)
	if n == 1 || n%1000 == 0 {
		c.log.Warn("footprint: event dropped", "reason", reason, "event_id", ev.GetEventId(),
			"dropped_total", n, "policy", c.cfg.dropPolicy.String())
	}
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Tracked:  c.tracked.Load(),
		Sent:     c.sent.Load(),
		Rejected: c.rejected.Load(),
		Dropped:  c.dropped.Load(),
		Failed:   c.failed.Load(),
		Retries:  c.retries.Load(),
		Queued:   len(c.queue),
	}
}

// Close stops accepting events, sends everything queued and waits until that
// is done or ctx is done, whichever comes first, then closes the connection.
// It returns how many events it could not deliver: events queued or in flight
// during Close that were given up (deadline passed, retries exhausted or a
// non-retryable error). Events in a call cut off by the deadline count as
// undelivered even if the collector received them; a later resend is safe
// because of their event_ids. The error wraps [ErrUndelivered] and ctx's
// error when events were left undelivered.
func (c *Client) Close(ctx context.Context) (int, error) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return 0, ErrClosed
	}
	failedBefore := c.failed.Load()
	close(c.closing)

	var ctxErr error
	select {
	case <-c.done:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		// Cancelling aborts the in-flight call and any backoff wait; the
		// sender then gives up the rest of the queue without network I/O,
		// so this wait is short.
		c.cancel()
		<-c.done
	}
	c.cancel()
	connErr := c.conn.Close()

	undelivered := int(c.failed.Load() - failedBefore)
	var errs []error
	if undelivered > 0 {
		errs = append(errs, fmt.Errorf("%w: %d events", ErrUndelivered, undelivered))
	}
	if ctxErr != nil {
		errs = append(errs, fmt.Errorf("footprint: flush interrupted: %w", ctxErr))
	}
	if connErr != nil {
		errs = append(errs, fmt.Errorf("footprint: close connection: %w", connErr))
	}
	return undelivered, errors.Join(errs...)
}

// run is the background sender: it batches queued events by count and time
// and sends one batch at a time, so the collector sees at most one call from
// this client and a slow collector pushes back on the queue, not on memory.
func (c *Client) run() {
	defer close(c.done)
	ticker := time.NewTicker(c.cfg.flushInterval)
	defer ticker.Stop()
	batch := make([]*eventv1.Event, 0, c.cfg.batchSize)
	for {
		select {
		case ev := <-c.queue:
			batch = append(batch, ev)
			if len(batch) >= c.cfg.batchSize {
				batch = c.send(batch)
			}
		case <-ticker.C:
			if len(batch) > 0 {
				batch = c.send(batch)
			}
		case <-c.closing:
			// Track can no longer enqueue, so draining until empty sends
			// every event that was ever accepted.
			for {
				select {
				case ev := <-c.queue:
					batch = append(batch, ev)
					if len(batch) >= c.cfg.batchSize {
						batch = c.send(batch)
					}
				default:
					if len(batch) > 0 {
						c.send(batch)
					}
					return
				}
			}
		}
	}
}

// send delivers one batch with retries and returns a fresh empty batch. The
// request (and so every event_id) is the same on every attempt.
func (c *Client) send(batch []*eventv1.Event) []*eventv1.Event {
	req := &collectorv1.IngestRequest{Events: batch}
	for attempt := 0; ; attempt++ {
		if err := c.ctx.Err(); err != nil {
			c.fail(batch, fmt.Errorf("footprint: close deadline passed: %w", err))
			break
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.rpcTimeout)
		resp, err := c.rpc.Ingest(ctx, req)
		cancel()
		if err == nil {
			c.settle(batch, resp)
			break
		}
		if cerr := c.ctx.Err(); cerr != nil {
			c.fail(batch, fmt.Errorf("footprint: close deadline passed: %w", errors.Join(cerr, err)))
			break
		}
		code := status.Code(err)
		if !retryable(code) {
			c.fail(batch, fmt.Errorf("footprint: ingest: %w", err))
			break
		}
		if c.cfg.maxRetries >= 0 && attempt >= c.cfg.maxRetries {
			c.fail(batch, fmt.Errorf("footprint: ingest failed after %d retries: %w", attempt, err))
			break
		}
		c.retries.Add(1)
		wait := c.backoff(attempt)
		c.log.Debug("footprint: ingest failed, retrying", "code", code.String(), "err", err,
			"events", len(batch), "attempt", attempt+1, "wait", wait)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-c.ctx.Done():
			timer.Stop()
		}
	}
	return make([]*eventv1.Event, 0, c.cfg.batchSize)
}

// retryable reports whether a call that failed with code may succeed when
// sent again unchanged.
func retryable(code codes.Code) bool {
	switch code {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded:
		return true
	default:
		return false
	}
}

// backoff returns the wait before retry number attempt+1: exponential, capped,
// with "equal jitter" (half fixed, half random) so that retries of many
// clients spread out but never come back instantly.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.backoffMax
	if attempt < 30 {
		if e := c.cfg.backoffInitial << attempt; e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// settle counts the outcome of every event of an answered call. An event
// without a result counts as sent: an OK answer means the collector holds
// every event it did not reject.
func (c *Client) settle(batch []*eventv1.Event, resp *collectorv1.IngestResponse) {
	results := make([]*collectorv1.EventResult, len(batch))
	for _, r := range resp.GetResults() {
		if i := int(r.GetIndex()); i < len(results) {
			results[i] = r
		}
	}
	var sent uint64
	for i, ev := range batch {
		r := results[i]
		if r.GetOutcome() != collectorv1.Outcome_OUTCOME_REJECTED {
			sent++
			continue
		}
		c.rejected.Add(1)
		err := &RejectedEventError{Event: ev, Result: r}
		c.log.Warn("footprint: event rejected", "event_id", ev.GetEventId(), "field", r.GetField(),
			"reason", r.GetRejectReason().String(), "message", r.GetMessage())
		if c.cfg.onError != nil {
			c.cfg.onError(err)
		}
	}
	c.sent.Add(sent)
}

// fail gives up a batch: counts it, logs it and reports it.
func (c *Client) fail(batch []*eventv1.Event, err error) {
	c.failed.Add(uint64(len(batch)))
	c.log.Error("footprint: events not delivered", "events", len(batch), "err", err)
	if c.cfg.onError != nil {
		c.cfg.onError(&DeliveryError{Events: batch, Err: err})
	}
}

// bearer sends the API key as per-RPC metadata.
type bearer struct {
	key        string
	requireTLS bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.key}, nil
}

// RequireTransportSecurity keeps gRPC from sending the key in plaintext
// unless the user chose WithInsecure.
func (b bearer) RequireTransportSecurity() bool { return b.requireTLS }
