package suite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrIncomplete is returned when a store does not reach the expected row
// count before the deadline.
var ErrIncomplete = errors.New("store did not receive every event in time")

// waitWritten waits until the writer's written counter
// (footprint_writer_written_total) reaches n and the store holds n rows,
// printing progress. It returns when the counter
// reached n (the drain's end).
func (r *runner) waitWritten(ctx context.Context, p *svc.Process, st store, n int64, timeout time.Duration) (time.Time, error) {
	const metric = "footprint_writer_written_total"
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	useMetric := true
	var done time.Time
	for done.IsZero() {
		if time.Now().After(deadline) {
			got, _ := st.Count(ctx)
			return time.Time{}, fmt.Errorf("%s holds %d of %d rows after %v: %w", st.Name(), got, n, timeout, ErrIncomplete)
		}
		if p.Exited() {
			return time.Time{}, fmt.Errorf("%s exited: %s", p.Name, p.LogTail(1500))
		}
		var got float64
		if useMetric {
			v, ok, err := p.Metric(ctx, metric)
			if err != nil || !ok {
				useMetric = false
				r.log.Warn("writer metric unavailable, counting rows instead", "metric", metric, "err", err)
				continue
			}
			got = v
		} else {
			c, err := st.Count(ctx)
			if err != nil {
				return time.Time{}, err
			}
			got = float64(c)
		}
		if got >= float64(n) {
			done = time.Now()
			break
		}
		if time.Since(lastLog) > 5*time.Second {
			r.log.Info("draining", "writer", p.Name, "written", int64(got), "of", n)
			lastLog = time.Now()
		}
		interval := 50 * time.Millisecond
		if !useMetric {
			interval = 250 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(interval):
		}
	}
	// The counter moves after the store commit; confirm with the store.
	for {
		c, err := st.Count(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if c >= n {
			return done, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s holds %d of %d rows: %w", st.Name(), c, n, ErrIncomplete)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *runner) drainTimeout() time.Duration {
	// Generous: at 2,000 rows/s a drain of Events rows, plus startup.
	return time.Duration(r.cfg.Events/2000)*time.Second + 2*time.Minute
}

// newPostgresDB creates an isolated database and returns the writer's URL
// for it and a pool on it; the caller closes the pool.
func (r *runner) newPostgresDB(ctx context.Context, prefix string) (string, *pgxpool.Pool, error) {
	_, url, err := r.st.NewPostgresDB(ctx, prefix)
	if err != nil {
		return "", nil, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return "", nil, fmt.Errorf("connect: %w", err)
	}
	return url, pool, nil
}
