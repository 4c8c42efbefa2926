package auth

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/metadata"

	"github.com/footprint/footprint/internal/eventcheck"
)

// failureReasons are the label values of the failure metric, one per error.
var failureReasons = []struct {
	err    error
	reason string
}{
	{ErrMissingKey, "missing"},
	{ErrMalformedKey, "malformed"},
	{ErrMultipleKeys, "multiple"},
	{ErrUnknownKey, "unknown"},
}

// LogLimit bounds how many failed authentications are logged: at most Lines
// per Interval. A flood of bad keys (a scanner, a misconfigured client) must
// not flood the logs; the metric still counts every one.
type LogLimit struct {
	Lines    int
	Interval time.Duration
}

// DefaultLogLimit logs at most 10 failures a minute.
func DefaultLogLimit() LogLimit { return LogLimit{Lines: 10, Interval: time.Minute} }

// Failures counts failed authentications by reason
// (footprint_collector_auth_failures_total{reason}) and logs them at a
// bounded rate, each logged line carrying how many were left out since the
// previous one. It is safe for concurrent use.
type Failures struct {
	total  *prometheus.CounterVec
	logger *slog.Logger
	limit  LogLimit
	now    func() time.Time

	mu          sync.Mutex
	windowStart time.Time
	logged      int
	suppressed  int
}

// NewFailures registers the failure metric on reg.
func NewFailures(reg prometheus.Registerer, logger *slog.Logger, limit LogLimit) (*Failures, error) {
	f := &Failures{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "footprint_collector_auth_failures_total",
			Help: "Calls refused with UNAUTHENTICATED, by reason: missing, malformed, multiple, unknown.",
		}, []string{"reason"}),
		logger: logger,
		limit:  limit,
		now:    time.Now,
	}
	if err := reg.Register(f.total); err != nil {
		return nil, err
	}
	// Every reason exists from the start, so rate() works before the first failure.
	for _, r := range failureReasons {
		f.total.WithLabelValues(r.reason)
	}
	return f, nil
}

// record counts err and logs it unless the log limit is reached. A nil
// Failures does nothing.
func (f *Failures) record(err error, md metadata.MD) {
	if f == nil {
		return
	}
	reason := "other"
	for _, r := range failureReasons {
		if errors.Is(err, r.err) {
			reason = r.reason
			break
		}
	}
	f.total.WithLabelValues(reason).Inc()
	if suppressed, ok := f.allow(); ok {
		// Never the key itself; the user agent helps find the caller.
		f.logger.Warn("authentication failed", "reason", reason, "user_agent", first(md.Get("user-agent")),
			"suppressed_since_last", suppressed)
	}
}

// allow reports whether one more line may be logged now, and how many were
// suppressed since the last logged one.
func (f *Failures) allow() (suppressed int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := f.now(); now.Sub(f.windowStart) >= f.limit.Interval {
		f.windowStart, f.logged = now, 0
	}
	if f.logged >= f.limit.Lines {
		f.suppressed++
		return 0, false
	}
	f.logged++
	suppressed, f.suppressed = f.suppressed, 0
	return suppressed, true
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return eventcheck.Truncate(values[0], 120)
}
