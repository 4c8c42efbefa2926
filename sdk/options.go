package footprint

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
)

// DropPolicy decides which event is discarded when [Client.Track] finds the
// queue full. Track never waits for room: the app's request path must not
// slow down because the collector is slow or unreachable.
type DropPolicy int

const (
	// DropNewest discards the event being tracked and keeps the queue as it
	// is. It is the default: the queued events are the oldest, so they are the
	// ones closest to being sent.
	DropNewest DropPolicy = iota
	// DropOldest discards the oldest queued event to make room for the new
	// one, for apps that care more about recent activity.
	DropOldest
)

// String returns the policy's name.
func (p DropPolicy) String() string {
	switch p {
	case DropNewest:
		return "drop_newest"
	case DropOldest:
		return "drop_oldest"
	default:
		return fmt.Sprintf("DropPolicy(%d)", int(p))
	}
}

// ErrorHandler receives the errors the background sender cannot return to a
// caller: a [*RejectedEventError] for each event the collector rejected and a
// [*DeliveryError] for each batch that could not be delivered. It is called
// from the sender goroutine and must not block for long.
type ErrorHandler func(err error)

// Defaults of the client options.
const (
	DefaultBatchSize      = 200
	DefaultFlushInterval  = time.Second
	DefaultQueueSize      = 10000
	DefaultMaxRetries     = 10
	DefaultBackoffInitial = 100 * time.Millisecond
	DefaultBackoffMax     = 5 * time.Second
	DefaultRPCTimeout     = 10 * time.Second
)

// Errors returned by [New] for invalid options.
var (
	ErrNoAddress        = errors.New("footprint: collector address is empty")
	ErrBatchSize        = errors.New("footprint: batch size must be positive")
	ErrFlushInterval    = errors.New("footprint: flush interval must be positive")
	ErrQueueSize        = errors.New("footprint: queue size must be at least the batch size")
	ErrBackoff          = errors.New("footprint: backoff durations must be positive and initial <= max")
	ErrRPCTimeout       = errors.New("footprint: rpc timeout must be positive")
	ErrDropPolicy       = errors.New("footprint: unknown drop policy")
	ErrTLSAndInsecure   = errors.New("footprint: WithTLSConfig and WithInsecure are exclusive")
	ErrNegativeRetryCap = errors.New("footprint: max retries must be -1 (unlimited) or more")
)

// config holds the client options; see the With* functions for each field.
type config struct {
	apiKey         string
	siteID         string
	tlsConfig      *tls.Config
	insecure       bool
	batchSize      int
	flushInterval  time.Duration
	queueSize      int
	dropPolicy     DropPolicy
	maxRetries     int
	backoffInitial time.Duration
	backoffMax     time.Duration
	rpcTimeout     time.Duration
	logger         *slog.Logger
	onError        ErrorHandler
	dialOptions    []grpc.DialOption
}

func defaultConfig() config {
	return config{
		batchSize:      DefaultBatchSize,
		flushInterval:  DefaultFlushInterval,
		queueSize:      DefaultQueueSize,
		dropPolicy:     DropNewest,
		maxRetries:     DefaultMaxRetries,
		backoffInitial: DefaultBackoffInitial,
		backoffMax:     DefaultBackoffMax,
		rpcTimeout:     DefaultRPCTimeout,
	}
}

func (c *config) validate() error {
	var errs []error
	if c.batchSize <= 0 {
		errs = append(errs, ErrBatchSize)
	}
	if c.flushInterval <= 0 {
		errs = append(errs, ErrFlushInterval)
	}
	if c.queueSize < c.batchSize || c.queueSize <= 0 {
		errs = append(errs, ErrQueueSize)
	}
	if c.backoffInitial <= 0 || c.backoffMax <= 0 || c.backoffInitial > c.backoffMax {
		errs = append(errs, ErrBackoff)
	}
	if c.rpcTimeout <= 0 {
		errs = append(errs, ErrRPCTimeout)
	}
	if c.dropPolicy != DropNewest && c.dropPolicy != DropOldest {
		errs = append(errs, ErrDropPolicy)
	}
	if c.tlsConfig != nil && c.insecure {
		errs = append(errs, ErrTLSAndInsecure)
	}
	if c.maxRetries < -1 {
		errs = append(errs, ErrNegativeRetryCap)
	}
	return errors.Join(errs...)
}

// Option configures a [Client].
type Option func(*config)

// WithAPIKey sets the API key sent with every call as
// `authorization: Bearer <key>`. The key must own the site_id of the events.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithSiteID sets the site_id given to tracked events that have none.
func WithSiteID(site string) Option { return func(c *config) { c.siteID = site } }

// WithTLSConfig sets the TLS configuration of the connection. Without it and
// without [WithInsecure] the client uses TLS with the system's root CAs.
func WithTLSConfig(cfg *tls.Config) Option { return func(c *config) { c.tlsConfig = cfg } }

// WithInsecure sends calls in plaintext, for a collector on localhost or
// behind a TLS-terminating proxy on the same host. The API key then travels
// unencrypted.
func WithInsecure() Option { return func(c *config) { c.insecure = true } }

// WithBatchSize sets how many events are sent in one Ingest call at most
// (default [DefaultBatchSize]). It must not exceed the collector's batch
// limit (1000 by default).
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

// WithFlushInterval sets how long an incomplete batch waits before it is
// sent anyway (default [DefaultFlushInterval]).
func WithFlushInterval(d time.Duration) Option { return func(c *config) { c.flushInterval = d } }

// WithQueueSize sets how many events may wait in memory for the sender
// (default [DefaultQueueSize]). It bounds the SDK's memory while the
// collector is slow or unreachable.
func WithQueueSize(n int) Option { return func(c *config) { c.queueSize = n } }

// WithDropPolicy sets what Track does when the queue is full (default
// [DropNewest]).
func WithDropPolicy(p DropPolicy) Option { return func(c *config) { c.dropPolicy = p } }

// WithMaxRetries sets how many times a batch is retried after a retryable
// failure before its events are given up as failed (default
// [DefaultMaxRetries]); -1 retries until [Client.Close]'s deadline.
func WithMaxRetries(n int) Option { return func(c *config) { c.maxRetries = n } }

// WithBackoff sets the first and the longest wait between retries (defaults
// [DefaultBackoffInitial], [DefaultBackoffMax]). The wait doubles per retry
// and is jittered so that many clients do not retry in lockstep.
func WithBackoff(initial, maxWait time.Duration) Option {
	return func(c *config) { c.backoffInitial, c.backoffMax = initial, maxWait }
}

// WithRPCTimeout sets the deadline of each Ingest call (default
// [DefaultRPCTimeout]). A call that exceeds it is retried.
func WithRPCTimeout(d time.Duration) Option { return func(c *config) { c.rpcTimeout = d } }

// WithLogger sets the logger for the SDK's own diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithErrorHandler sets the callback for rejected events and undeliverable
// batches; see [ErrorHandler].
func WithErrorHandler(h ErrorHandler) Option { return func(c *config) { c.onError = h } }

// WithDialOptions appends gRPC dial options, for example a custom dialer or
// interceptors. They are applied after the SDK's own and can override them.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOptions = append(c.dialOptions, opts...) }
}
