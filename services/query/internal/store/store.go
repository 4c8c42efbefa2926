// Package store runs the engine's statements on PostgreSQL and ClickHouse,
// each behind its own concurrency limit, so a slow store fills only its own
// slots and the other keeps answering.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/engine"
)

// ErrBusy is returned when every query slot of a store stays taken for the
// queue wait.
var ErrBusy = errors.New("store: too many concurrent queries")

// ErrUnavailable wraps a failure to reach or query a store.
var ErrUnavailable = errors.New("store: unavailable")

// Row is one result row: texts, then int64 columns.
type Row struct {
	Texts []string
	Ints  []int64
}

// DB is one database connection pool.
type DB interface {
	// Query runs st; every row has st.NumDims text columns then ints int64 columns.
	Query(ctx context.Context, st engine.Statement, ints int) ([]Row, error)
	Ping(ctx context.Context) error
	Close()
}

// Store is one store: its dialect, its pool and its query slots.
type Store struct {
	Kind    queryv1.Store
	Dialect engine.Dialect
	db      DB
	slots   chan struct{}
	wait    time.Duration
	metrics *Metrics
}

// New wraps db with at most maxConcurrent queries at once; a query waits at
// most wait for a slot.
func New(kind queryv1.Store, d engine.Dialect, db DB, maxConcurrent int, wait time.Duration, m *Metrics) *Store {
	return &Store{Kind: kind, Dialect: d, db: db, slots: make(chan struct{}, maxConcurrent), wait: wait, metrics: m}
}

// Name is the store's label in metrics and logs.
func (s *Store) Name() string { return s.Dialect.Name() }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the pool.
func (s *Store) Close() { s.db.Close() }

// acquire takes a query slot or fails with ErrBusy after the queue wait.
func (s *Store) acquire(ctx context.Context) (func(), error) {
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
	case <-t.C:
		s.metrics.rejected.WithLabelValues(s.Name()).Inc()
		return nil, fmt.Errorf("%s: %w", s.Name(), ErrBusy)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.metrics.inflight.WithLabelValues(s.Name()).Inc()
	return func() {
		<-s.slots
		s.metrics.inflight.WithLabelValues(s.Name()).Dec()
	}, nil
}

// run executes one statement in a taken slot, timing it.
func (s *Store) run(ctx context.Context, st engine.Statement, ints int) ([]Row, error) {
	start := time.Now()
	rows, err := s.db.Query(ctx, st, ints)
	s.metrics.seconds.WithLabelValues(s.Name()).Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.errors.WithLabelValues(s.Name()).Inc()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w: %w", s.Name(), ErrUnavailable, err)
	}
	return rows, nil
}

// Answer runs every statement of the plan in one slot and returns the raw
// answer and the time the store took (slot wait excluded).
func (s *Store) Answer(ctx context.Context, p *engine.Plan) (engine.Answer, time.Duration, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return engine.Answer{}, 0, err
	}
	defer release()
	start := time.Now()
	sts := p.Statements(s.Dialect)
	var a engine.Answer
	if a.Rows, a.Totals, err = s.rows(ctx, *sts.Rows); err != nil {
		return a, 0, err
	}
	if sts.Count != nil && p.RecountRows(len(a.Rows)) {
		if a.Totals.Rows, err = s.count(ctx, *sts.Count); err != nil {
			return a, 0, err
		}
	}
	if sts.CompRows != nil {
		if a.CompRows, a.CompTotals, err = s.rows(ctx, *sts.CompRows); err != nil {
			return a, 0, err
		}
	}
	return a, time.Since(start), nil
}

// rows runs a Rows statement and returns its rows and the totals they
// carry (RowTotals).
func (s *Store) rows(ctx context.Context, st engine.Statement) ([]engine.RawRow, engine.RowTotals, error) {
	rows, err := s.run(ctx, st, st.Ints())
	if err != nil {
		return nil, engine.RowTotals{}, err
	}
	out := make([]engine.RawRow, len(rows))
	var totals engine.RowTotals
	for i, r := range rows {
		out[i], totals = st.Read(r.Texts, r.Ints)
	}
	return out, totals, nil
}

func (s *Store) count(ctx context.Context, st engine.Statement) (int64, error) {
	rows, err := s.run(ctx, st, 1)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0].Ints[0], nil
}

// Realtime answers the realtime panel: visitors and top pages.
func (s *Store) Realtime(ctx context.Context, site string, includeBots bool, now time.Time) (*queryv1.RealtimeResult, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	start := time.Now()
	vst, pst := engine.RealtimeStatements(s.Dialect, site, includeBots, now)
	visitors, err := s.count(ctx, vst)
	if err != nil {
		return nil, err
	}
	pages, err := s.run(ctx, pst, 1)
	if err != nil {
		return nil, err
	}
	res := &queryv1.RealtimeResult{Store: s.Kind, Visitors: visitors}
	for _, p := range pages {
		res.TopPages = append(res.TopPages, &queryv1.PageVisitors{Page: p.Texts[0], Visitors: p.Ints[0]})
	}
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}
