package dashboards

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/footprint/footprint/bench/internal/stack"
)

// Targets of issue 12 (10M events, 30-day range, 2 shared cores).
const (
	TargetCHp95Ms        = 100
	TargetPGp95Ms        = 300
	TargetDashboardP95Ms = 1000
)

// Report is everything a run measured; it is written as dashboards.json,
// rendered as dashboards.md and plotted as dashboards.png.
type Report struct {
	Command     string       `json:"command"`
	Quick       bool         `json:"quick"`
	StartedAt   time.Time    `json:"started_at"`
	WallSeconds float64      `json:"wall_seconds"`
	Setup       Setup        `json:"setup"`
	Budget      BudgetReport `json:"budget"`
	Sizes       []SizeResult `json:"sizes"`
}

// BudgetReport is the repetition rule of the run.
type BudgetReport struct {
	Reps            int     `json:"reps"`
	MinReps         int     `json:"min_reps"`
	PerQuerySeconds float64 `json:"per_query_seconds"`
}

// Setup is the machine, the versions and the data shape.
type Setup struct {
	CPU       string         `json:"cpu"`
	CPUs      int            `json:"cpus"`
	GoVersion string         `json:"go"`
	Versions  stack.Versions `json:"versions"`
	Data      DataConfig     `json:"data"`
	Shape     string         `json:"shape"`
	WritePath string         `json:"write_path"`
	QueryPath string         `json:"query_path"`
}

// StorageResult is both stores' storage for one size.
type StorageResult struct {
	Postgres   Storage `json:"postgres"`
	ClickHouse Storage `json:"clickhouse"`
}

// SizeResult is one point of the scaling curve.
type SizeResult struct {
	Events     int               `json:"events"`
	Visitors   int               `json:"visitor_pool"`
	Load       LoadResult        `json:"load"`
	Storage    StorageResult     `json:"storage"`
	Memory     map[string]Memory `json:"server_memory_during_queries"`
	Parity     []Parity          `json:"parity"`
	Queries    []QueryResult     `json:"queries"`
	Dashboards []QueryResult     `json:"dashboards"`
	Profiles   []Profile         `json:"profiles,omitempty"`
	// PhaseSeconds is the wall time of each phase (for planning a run).
	PhaseSeconds map[string]float64 `json:"phase_seconds"`
}

func newReport(cfg Config, v stack.Versions) *Report {
	return &Report{
		Command: cfg.Command, Quick: cfg.Quick, StartedAt: time.Now().UTC(),
		Budget: BudgetReport{Reps: cfg.Budget.Reps, MinReps: cfg.Budget.Min, PerQuerySeconds: cfg.Budget.PerQuery.Seconds()},
		Setup: Setup{
			CPU: stack.CPUModel(), CPUs: cpus(), GoVersion: runtime.Version(), Versions: v, Data: cfg.Data,
			Shape: fmt.Sprintf("one site, %d days (%s..%s), visitor pool events/10 (1%% of it bots), "+
				"visit length Pareto tail (alpha %.1f, %d%% one-event visits, capped at %d), daily and weekly cycle, "+
				"%d pages Zipf s=%.1f, 40%% direct / search / social / %d long-tail referrers, 12%% UTM-tagged visits, "+
				"device/browser/OS shares after StatCounter 2024, %.0f%% bot visits, %.0f%% custom events, %.0f%% server-side events with HTTP method/status",
				cfg.Data.Days, cfg.Data.FirstDay().Format(day), cfg.Data.LastDay.Format(day), visitLengthAlpha,
				int(math.Round(100*(1-math.Pow(2, -visitLengthAlpha)))), maxVisitLength, cfg.Data.Pages, pageZipfS,
				otherReferrers, 100*BotShare, 100*CustomShare, 100*ServerShare),
			WritePath: fmt.Sprintf("store/postgres and store/clickhouse WriteBatch (the writers' own write path, called directly, no Kafka), %d events per batch, the stores written one after the other", cfg.Batch),
			QueryPath: "services/query (built from this checkout) over gRPC, STORE_POSTGRES and STORE_CLICKHOUSE separately; parity with STORE_BOTH",
		},
	}
}

// Write stores dashboards.json, dashboards.md and dashboards.png in dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	png, err := r.PNG()
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"dashboards.json": append(js, '\n'), "dashboards.md": []byte(r.Markdown()), "dashboards.png": png} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// find returns the result of a query of a view on a store.
func (s SizeResult) find(variant, query, store string) (QueryResult, bool) {
	all := slices.Concat(s.Queries, s.Dashboards)
	i := slices.IndexFunc(all, func(q QueryResult) bool { return q.Variant == variant && q.Query == query && q.Store == store })
	if i < 0 {
		return QueryResult{}, false
	}
	return all[i], true
}

// Ratio is ClickHouse's time over PostgreSQL's (below 1: ClickHouse faster).
func Ratio(ch, pg float64) float64 {
	if pg <= 0 {
		return math.NaN()
	}
	return ch / pg
}
