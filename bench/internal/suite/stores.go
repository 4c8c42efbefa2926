package suite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/footprint/footprint/bench/internal/baseline"
	"github.com/jackc/pgx/v5/pgxpool"
)

// store is what the suite asks of a writer's store: how many rows it holds
// and which of some event ids are visible.
type store interface {
	Name() string
	Count(ctx context.Context) (int64, error)
	// Visible returns which of ids are stored; since bounds occurred_at so
	// the lookup stays cheap on a large table.
	Visible(ctx context.Context, ids []string, since time.Time) ([]string, error)
}

type pgStore struct {
	pool  *pgxpool.Pool
	table baseline.PGTable
}

func (s *pgStore) Name() string { return "postgres" }

func (s *pgStore) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.table.Ident()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
}

func (s *pgStore) Visible(ctx context.Context, ids []string, since time.Time) ([]string, error) {
	// The primary key (event_id, occurred_at) serves this lookup.
	rows, err := s.pool.Query(ctx, "SELECT event_id::text FROM "+s.table.Ident()+" WHERE event_id = ANY($1::uuid[]) AND occurred_at >= $2", ids, since)
	if err != nil {
		return nil, fmt.Errorf("look up markers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan marker: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

type chStore struct {
	conn clickhouse.Conn
	db   string
	site string
}

func (s *chStore) Name() string { return "clickhouse" }

func (s *chStore) Count(ctx context.Context) (int64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+s.db+".events").Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return int64(n), nil
}

func (s *chStore) Visible(ctx context.Context, ids []string, since time.Time) ([]string, error) {
	// The ids are UUIDs the generator formatted (hex and dashes only), so
	// inlining them is safe; site and time narrow the scan through the
	// table's ORDER BY (site_id, occurred_at, ...).
	q := fmt.Sprintf("SELECT toString(event_id) FROM %s.events WHERE site_id = '%s' AND occurred_at >= toDateTime(%d) AND toString(event_id) IN ('%s')",
		s.db, s.site, since.Unix(), strings.Join(ids, "','"))
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("look up markers: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan marker: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
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
