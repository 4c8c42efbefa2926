// Package consistency runs the footprint command's consistency check
// (store/ops.Check: per UTC day and event name, the distinct events and an
// order-independent checksum of their ids in both stores) periodically for
// every site the service answers for, and exports the result as
// footprint_consistency_mismatched_days{site}.
package consistency

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/store/ops"
)

// Checker compares the stores for each site over the complete UTC days
// before today (today is left out: events still in flight to one writer
// would make the metric flap).
type Checker struct {
	pg, ch     ops.Tallier
	sites      []string
	days       int
	now        func() time.Time
	logger     *slog.Logger
	mismatched *prometheus.GaugeVec
	failures   prometheus.Counter
}

// New registers the checker's metrics on reg.
func New(pg, ch ops.Tallier, sites []string, days int, reg prometheus.Registerer, logger *slog.Logger) (*Checker, error) {
	c := &Checker{
		pg: pg, ch: ch, sites: sites, days: days, now: time.Now, logger: logger,
		mismatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "footprint_consistency_mismatched_days",
			Help: "Complete UTC days of the checked window (FOOTPRINT_QUERY_CONSISTENCY_DAYS before today) on which PostgreSQL and ClickHouse hold different events, per site.",
		}, []string{"site"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "footprint_consistency_check_failures_total",
			Help: "Periodic consistency checks of a site that could not run (a store unreachable or failing).",
		}),
	}
	if err := admin.Register(reg, c.mismatched, c.failures); err != nil {
		return nil, err
	}
	return c, nil
}

// Run checks every interval until ctx ends; the first check runs at once.
func (c *Checker) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c.CheckAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CheckAll checks every site once. A site whose check fails keeps its last
// value and counts a failure: an outage is not a disagreement.
func (c *Checker) CheckAll(ctx context.Context) {
	for _, site := range c.sites {
		n, err := c.check(ctx, site)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.failures.Inc()
			c.logger.Warn("consistency check failed", "site", site, "err", err)
			continue
		}
		c.mismatched.WithLabelValues(site).Set(float64(n))
		if n > 0 {
			c.logger.Warn("stores disagree", "site", site, "mismatched_days", n,
				"hint", "run `footprint consistency` for the groups and sample ids")
		}
	}
}

func (c *Checker) check(ctx context.Context, site string) (int, error) {
	today := c.now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -c.days), today.AddDate(0, 0, -1)
	rep, err := ops.Check(ctx, c.pg, c.ch, site, from, to, 0)
	if err != nil {
		return 0, fmt.Errorf("consistency %s: %w", site, err)
	}
	return rep.MismatchedDays(), nil
}
