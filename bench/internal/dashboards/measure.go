package dashboards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/footprint/footprint/bench/internal/stats"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// Named errors of a run.
var (
	// ErrStoresDiffer: the stores hold different events, or answered a query
	// differently.
	ErrStoresDiffer = errors.New("dashboards: PostgreSQL and ClickHouse differ")
	// ErrQuery: a query failed.
	ErrQuery = errors.New("dashboards: query failed")
)

// Stores measured, in report order.
var measuredStores = []queryv1.Store{queryv1.Store_STORE_POSTGRES, queryv1.Store_STORE_CLICKHOUSE}

// StoreName is the report's name of a store.
func StoreName(s queryv1.Store) string {
	if s == queryv1.Store_STORE_CLICKHOUSE {
		return "clickhouse"
	}
	return "postgres"
}

// Budget decides how many timed repetitions a query gets: Reps, unless
// Reps runs would exceed PerQuery at the warm-up's cost; then as many as
// fit, but at least Min.
type Budget struct {
	Reps     int
	Min      int
	PerQuery time.Duration
}

// RepsFor returns the repetitions for a query whose warm run took cost.
func (b Budget) RepsFor(cost time.Duration) int {
	if cost <= 0 || b.PerQuery <= 0 {
		return b.Reps
	}
	n := int(b.PerQuery / cost)
	return min(b.Reps, max(b.Min, n))
}

// Latency is the percentiles of one query on one store, with how many
// repetitions produced them (fewer than the budget's Reps when the time
// budget capped them).
type Latency struct {
	Reps  int     `json:"reps"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// ServerP50Ms is the query service's own store time (StoreResult
	// duration_ms) at the median: the SQL without the gRPC round trip.
	ServerP50Ms float64 `json:"server_p50_ms"`
}

// Summarise returns the nearest-rank percentiles of samples (see
// stats.Percentile: with fewer than 20 samples p95 is the maximum).
func Summarise(samples, server []time.Duration) Latency {
	s := stats.Summarise(samples)
	return Latency{Reps: s.Count, P50Ms: s.P50Ms, P95Ms: s.P95Ms, P99Ms: s.P99Ms, MaxMs: s.MaxMs,
		ServerP50Ms: stats.Summarise(server).P50Ms}
}

// caller sends queries to the query service.
type caller struct {
	client queryv1.QueryServiceClient
}

// call runs one query on one store and returns the client-side time and
// the store time the service measured.
func (c caller) call(ctx context.Context, q Query, store queryv1.Store) (*queryv1.QueryResponse, time.Duration, error) {
	req := cloneReq(q.Req)
	req.Store = store
	t := time.Now()
	resp, err := c.client.Query(ctx, req)
	d := time.Since(t)
	if err != nil {
		return nil, d, fmt.Errorf("%w: %s on %s: %w", ErrQuery, q.ID, StoreName(store), err)
	}
	return resp, d, nil
}

// Parity is one query's STORE_BOTH answer.
type Parity struct {
	Variant string `json:"variant"`
	Query   string `json:"query"`
	Match   bool   `json:"match"`
	// Error is set when the query failed (for example a store's memory
	// limit); the run goes on with the other queries.
	Error string   `json:"error,omitempty"`
	Rows  int      `json:"rows"`
	Diffs []string `json:"differences,omitempty"`
	// The stores' times in this (concurrent) call: the warm-up estimate.
	PostgresMs   float64 `json:"postgres_ms"`
	ClickHouseMs float64 `json:"clickhouse_ms"`
}

// checkParity runs every query once with STORE_BOTH: the answers must be
// identical (the service compares every row, dimension and metric,
// comparison and change included). It doubles as the warm-up.
func (c caller) checkParity(ctx context.Context, v Variant, qs []Query) ([]Parity, error) {
	var out []Parity
	var errs []error
	for _, q := range qs {
		resp, _, err := c.call(ctx, q, queryv1.Store_STORE_BOTH)
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			out = append(out, Parity{Variant: v.ID, Query: q.ID, Error: err.Error()})
			errs = append(errs, err)
			continue
		}
		p := Parity{Variant: v.ID, Query: q.ID, Match: resp.GetParity().GetMatch(), Diffs: resp.GetParity().GetDifferences()}
		for _, r := range resp.GetResults() {
			if r.GetStore() == queryv1.Store_STORE_CLICKHOUSE {
				p.ClickHouseMs = r.GetDurationMs()
			} else {
				p.PostgresMs = r.GetDurationMs()
				p.Rows = len(r.GetRows())
			}
		}
		if len(resp.GetResults()) != 2 || !p.Match {
			errs = append(errs, fmt.Errorf("%w: %s %s: %v", ErrStoresDiffer, v.ID, q.ID, p.Diffs))
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// timeQuery runs q reps times on store, one after the other (warm: the
// parity call ran it before).
func (c caller) timeQuery(ctx context.Context, q Query, store queryv1.Store, reps int) (Latency, error) {
	var client, server []time.Duration
	for range reps {
		resp, d, err := c.call(ctx, q, store)
		if err != nil {
			return Latency{}, err
		}
		client = append(client, d)
		if rs := resp.GetResults(); len(rs) == 1 {
			server = append(server, time.Duration(rs[0].GetDurationMs()*float64(time.Millisecond)))
		}
	}
	return Summarise(client, server), nil
}

// dashboard loads the page's default view on one store the way app.js does:
// the cards and the chart's series at once, the previous-period series after
// the cards' answer, and every panel's default tab at the same time. It
// returns the time until the last answer.
func (c caller) dashboard(ctx context.Context, qs []Query, store queryv1.Store) (time.Duration, error) {
	var first, after []Query
	for _, q := range qs {
		switch {
		case !q.DefaultTab:
		case q.AfterCards:
			after = append(after, q)
		default:
			first = append(first, q)
		}
	}
	t := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(first))
	for i, q := range first {
		wg.Go(func() {
			_, _, errs[i] = c.call(ctx, q, store)
			if errs[i] == nil && q.ID == "cards" {
				for _, a := range after {
					if _, _, err := c.call(ctx, a, store); err != nil {
						errs[i] = err
					}
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t), errors.Join(errs...)
}

// timeDashboard loads the dashboard reps times on store.
func (c caller) timeDashboard(ctx context.Context, qs []Query, store queryv1.Store, reps int) (Latency, error) {
	var samples []time.Duration
	for range reps {
		d, err := c.dashboard(ctx, qs, store)
		if err != nil {
			return Latency{}, err
		}
		samples = append(samples, d)
	}
	return Summarise(samples, nil), nil
}

// QueryResult is one query of one view on one store.
type QueryResult struct {
	Variant string  `json:"variant"`
	Query   string  `json:"query"`
	Store   string  `json:"store"`
	Latency Latency `json:"latency"`
	// Capped is true when the time budget gave fewer than the wanted reps.
	Capped bool `json:"capped"`
	// Error is set when the query failed; it has no latency then.
	Error string `json:"error,omitempty"`
}

// runQueries times every query of every view on store within budget.
func (c caller) runQueries(ctx context.Context, site string, vs []Variant, parity []Parity, store queryv1.Store, b Budget, logger *slog.Logger) ([]QueryResult, []QueryResult, error) {
	warm := map[string]float64{}
	for _, p := range parity {
		warm[p.Variant+"|"+p.Query] = p.PostgresMs
		if store == queryv1.Store_STORE_CLICKHOUSE {
			warm[p.Variant+"|"+p.Query] = p.ClickHouseMs
		}
	}
	var queries, dashboards []QueryResult
	var errs []error
	for _, v := range vs {
		qs := Queries(site, v)
		for _, q := range qs {
			reps := b.RepsFor(time.Duration(warm[v.ID+"|"+q.ID] * float64(time.Millisecond)))
			lat, err := c.timeQuery(ctx, q, store, reps)
			if err != nil {
				if ctx.Err() != nil {
					return queries, dashboards, err
				}
				errs = append(errs, err)
				queries = append(queries, QueryResult{Variant: v.ID, Query: q.ID, Store: StoreName(store), Error: err.Error()})
				continue
			}
			queries = append(queries, QueryResult{Variant: v.ID, Query: q.ID, Store: StoreName(store), Latency: lat, Capped: reps < b.Reps})
			logger.Debug("query timed", "variant", v.ID, "query", q.ID, "store", StoreName(store), "reps", reps, "p50_ms", lat.P50Ms)
		}
		once, err := c.dashboard(ctx, qs, store)
		reps := b.RepsFor(once)
		var lat Latency
		if err == nil {
			lat, err = c.timeDashboard(ctx, qs, store, reps)
		}
		if err != nil {
			if ctx.Err() != nil {
				return queries, dashboards, err
			}
			errs = append(errs, err)
			dashboards = append(dashboards, QueryResult{Variant: v.ID, Query: "dashboard", Store: StoreName(store), Error: err.Error()})
			continue
		}
		dashboards = append(dashboards, QueryResult{Variant: v.ID, Query: "dashboard", Store: StoreName(store), Latency: lat, Capped: reps < b.Reps})
		logger.Info("dashboard timed", "variant", v.ID, "store", StoreName(store), "reps", reps, "p50_ms", lat.P50Ms)
	}
	return queries, dashboards, errors.Join(errs...)
}
