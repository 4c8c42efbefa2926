package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

// store is what the suite asks of a writer's store: how many rows it holds
// and which of some event ids are visible. Both come from the store
// packages, so the benchmark reads what the writers write the way every
// other reader does.
type store interface {
	Name() string
	Count(ctx context.Context) (int64, error)
	// Visible returns which of ids are stored. since is when the markers
	// started (unused by the stores here: their key tables answer by id).
	Visible(ctx context.Context, ids []string, since time.Time) ([]string, error)
}

// counter is what both store packages offer.
type counter interface {
	Counts(ctx context.Context) (rows, distinct int64, err error)
	StoredIDs(ctx context.Context, ids []string) ([]string, error)
}

// ErrCountTimeout is returned when a store does not answer a count in time.
var ErrCountTimeout = errors.New("store did not answer the row count in time")

// countTimeout bounds one count. Counting a million rows takes a few
// seconds; ClickHouse 18.16 was seen to leave the distinct count (uniqExact)
// unanswered for more than ten minutes right after a ch-writer drain, and a
// benchmark must end with an error that says so rather than hang.
const countTimeout = 90 * time.Second

// packageStore is a store over a store package.
type packageStore struct {
	name    string
	s       counter
	timeout time.Duration
}

func (p packageStore) Name() string { return p.name }

// Count returns the store's row count. It returns ErrCountTimeout after
// p.timeout even when the driver does not give up on its own (the query is
// then left to finish or fail in the background).
func (p packageStore) Count(ctx context.Context) (int64, error) {
	return boundedCount(ctx, p.name, p.timeout, func(ctx context.Context) (int64, error) {
		rows, _, err := p.s.Counts(ctx)
		return rows, err
	})
}

// boundedCount runs count with a deadline of d and returns when the deadline
// passes, whether or not count has returned.
func boundedCount(ctx context.Context, name string, d time.Duration, count func(context.Context) (int64, error)) (int64, error) {
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := count(cctx)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && cctx.Err() != nil && ctx.Err() == nil {
			return 0, fmt.Errorf("%s: count rows (SELECT count() FINAL and uniqExact(event_id) through the store package): no answer within %v: %w", name, d, ErrCountTimeout)
		}
		return r.n, r.err
	case <-cctx.Done():
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%s: count rows (SELECT count() FINAL and uniqExact(event_id) through the store package): no answer within %v: %w", name, d, ErrCountTimeout)
	}
}

func (p packageStore) Visible(ctx context.Context, ids []string, _ time.Time) ([]string, error) {
	return p.s.StoredIDs(ctx, ids)
}

// openPGStore opens the PostgreSQL store at url (schema footprint) as the
// suite reads it; close closes it.
func openPGStore(ctx context.Context, url string) (st store, close func(), err error) {
	cfg := postgres.DefaultConfig()
	cfg.URL = url
	p, err := postgres.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, fmt.Errorf("open postgres store: %w", err)
	}
	return packageStore{"postgres", p, countTimeout}, func() { _ = p.Close() }, nil
}

// openCHStore opens the ClickHouse store of database db as the suite reads
// it; close closes it.
func openCHStore(ctx context.Context, addr, db string) (st store, close func(), err error) {
	cfg := clickhouse.DefaultConfig()
	cfg.Addr, cfg.Database = addr, db
	c, err := clickhouse.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, fmt.Errorf("open clickhouse store: %w", err)
	}
	return packageStore{"clickhouse", c, countTimeout}, func() { _ = c.Close() }, nil
}

// poller records, for every marker event, the time from its Ingest
// acknowledgement to the moment a poll first saw it in the store. The
// latency it reports is late by at most one poll interval plus one query.
type poller struct {
	store    store
	since    time.Time
	interval time.Duration

	mu        sync.Mutex
	pending   map[string]time.Time
	latencies []time.Duration
	lastErr   error
}

func newPoller(s store, since time.Time, interval time.Duration) *poller {
	return &poller{store: s, since: since, interval: interval, pending: map[string]time.Time{}}
}

func (p *poller) Add(id string, ackAt time.Time) {
	p.mu.Lock()
	p.pending[id] = ackAt
	p.mu.Unlock()
}

func (p *poller) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// Run polls until ctx ends.
func (p *poller) Run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		ids := make([]string, 0, min(len(p.pending), 5000))
		for id := range p.pending {
			if len(ids) == cap(ids) {
				break
			}
			ids = append(ids, id)
		}
		p.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		found, err := p.store.Visible(ctx, ids, p.since)
		now := time.Now()
		p.mu.Lock()
		if err != nil && ctx.Err() == nil {
			p.lastErr = err
		}
		for _, id := range found {
			if ack, ok := p.pending[id]; ok {
				p.latencies = append(p.latencies, now.Sub(ack))
				delete(p.pending, id)
			}
		}
		p.mu.Unlock()
	}
}

func (p *poller) Result() ([]time.Duration, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.latencies...), len(p.pending), p.lastErr
}
