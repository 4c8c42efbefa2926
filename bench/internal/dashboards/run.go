// Package dashboards is the benchmark's `dashboards` scenario (issue 12):
// a realistic 30-day data set loaded into PostgreSQL and ClickHouse through
// the stores' WriteBatch, the web dashboard's whole query set run through
// the query service's gRPC API against each store, identical answers
// asserted, and percentiles, whole-dashboard times, storage, memory and a
// scaling curve reported.
package dashboards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/footprint/footprint/bench/internal/stack"
	"github.com/footprint/footprint/bench/internal/svc"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// Config is one run.
type Config struct {
	// Sizes are the data sets' event counts, run in this order (the
	// report lists them smallest first); each is a point of the scaling
	// curve.
	Sizes []int
	// Data is the data shape; Events is set per size.
	Data DataConfig
	// Batch is events per WriteBatch (the writers' default batch).
	Batch  int
	Budget Budget
	// Quick marks a smoke run (CI): answers asserted, timings meaningless.
	Quick bool
	// Views limits the views measured (Variant IDs); empty means all four.
	Views []string
	// TimedViews limits the views timed per store after the parity pass
	// (which covers Views); empty means Views.
	TimedViews []string
	// Profile takes the profiles (profile.go) at the largest size.
	Profile bool
	Keep    bool
	// Out is the results directory.
	Out     string
	Command string
}

// ErrConfig is returned for an unusable run configuration.
var ErrConfig = errors.New("dashboards: invalid configuration")

// DefaultConfig is the full run: the scaling curve 1M, 3M and 10M, 20
// repetitions per query unless a query's 20 runs would take over 10 s (then
// as many as fit, at least 3).
func DefaultConfig() Config {
	return Config{
		Sizes:   []int{1_000_000, 3_000_000, 10_000_000},
		Data:    DefaultData(),
		Batch:   50_000,
		Budget:  Budget{Reps: 20, Min: 3, PerQuery: 10 * time.Second},
		Profile: true,
		Out:     "results",
	}
}

// QuickConfig is the CI smoke run: 50k events, every query of every view
// compared on both stores, then the 30-day view's queries once per store,
// no profiles.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Sizes = []int{50_000}
	c.Budget = Budget{Reps: 1, Min: 1, PerQuery: time.Second}
	c.Profile = false
	c.TimedViews = []string{"30d"}
	c.Quick = true
	return c
}

// Validate reports every configuration error at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Sizes) == 0 {
		errs = append(errs, fmt.Errorf("%w: at least one size", ErrConfig))
	}
	for _, n := range c.Sizes {
		d := c.Data
		d.Events = n
		errs = append(errs, d.Validate())
	}
	if c.Batch < 1 {
		errs = append(errs, fmt.Errorf("%w: batch must be positive", ErrConfig))
	}
	if len(c.Views) > 0 && len(c.variants(c.Data)) != len(c.Views) {
		errs = append(errs, fmt.Errorf("%w: views must be among 7d, 30d, 7d+page, 30d+page", ErrConfig))
	}
	if c.Budget.Reps < 1 || c.Budget.Min < 1 || c.Budget.Min > c.Budget.Reps {
		errs = append(errs, fmt.Errorf("%w: need 1 <= min reps <= reps", ErrConfig))
	}
	return errors.Join(errs...)
}

// Run runs every size and returns the report. Answers that differ between
// the stores fail the run (after the report of what was measured).
func Run(ctx context.Context, cfg Config, logger *slog.Logger) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	began := time.Now()
	st, root, err := stack.OpenForRun(ctx, cfg.Keep)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	binDir, err := os.MkdirTemp("", "footprint-bench-dashboards-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(binDir) }()
	logger.Info("building the query service")
	bin, err := svc.Build(ctx, root, binDir, "query")
	if err != nil {
		return nil, err
	}
	rep := newReport(cfg, st.Versions(ctx, root))
	var runErr error
	largest := slices.Max(cfg.Sizes)
	for _, n := range cfg.Sizes {
		sr, err := runSize(ctx, cfg, n, n == largest && cfg.Profile, st, bin, binDir, logger)
		rep.Sizes = append(rep.Sizes, sr)
		if cerr := st.Cleanup(context.WithoutCancel(ctx)); cerr != nil {
			logger.Warn("cleanup", "err", cerr)
		}
		if err != nil {
			runErr = fmt.Errorf("%d events: %w", n, err)
			break
		}
	}
	slices.SortStableFunc(rep.Sizes, func(a, b SizeResult) int { return cmp.Compare(a.Events, b.Events) })
	rep.WallSeconds = time.Since(began).Seconds()
	return rep, runErr
}

// runSize loads one data set and measures it.
func runSize(ctx context.Context, cfg Config, n int, withProfile bool, st *stack.Stack, bin, logDir string, logger *slog.Logger) (SizeResult, error) {
	data := cfg.Data
	data.Events = n
	sr := SizeResult{Events: n, Visitors: data.VisitorPool(), PhaseSeconds: map[string]float64{}}
	phase := func(name string, began time.Time) { sr.PhaseSeconds[name] = round(time.Since(began).Seconds()) }
	began := time.Now()
	logger.Info("data set", "events", n, "visitors", data.VisitorPool())
	stores, closeStores, err := openStores(ctx, st, logger)
	if err != nil {
		return sr, err
	}
	defer closeStores()
	if sr.Load, err = Load(ctx, data, stores, cfg.Batch, logger); err != nil {
		return sr, err
	}
	phase("load_and_check", began)
	logger.Info("loaded", "postgres_s", round(sr.Load.PostgresSeconds), "clickhouse_s", round(sr.Load.ClickHouseSeconds))
	if sr.Storage.Postgres, err = PostgresStorage(ctx, stores.PGURL, stores.PGSchema, n); err != nil {
		return sr, err
	}
	if sr.Storage.ClickHouse, err = ClickHouseStorage(ctx, stores.CHConfig, n); err != nil {
		return sr, err
	}
	q, err := startQuery(ctx, stores, bin, logDir, data.Site, logger)
	if err != nil {
		return sr, err
	}
	began = time.Now()
	err = measure(ctx, cfg, data, q.caller, &sr, logger)
	_ = q.stop()
	phase("queries", began)
	if err != nil || !withProfile {
		return sr, err
	}
	began = time.Now()
	sr.Profiles = profile(ctx, stores, bin, logDir, data, logger)
	phase("profiles", began)
	return sr, nil
}

// measure runs the parity pass and then times each store alone.
func measure(ctx context.Context, cfg Config, data DataConfig, c caller, sr *SizeResult, logger *slog.Logger) error {
	vs := cfg.variants(data)
	var parityErrs []error
	began := time.Now()
	for _, v := range vs {
		p, err := c.checkParity(ctx, v, Queries(data.Site, v))
		sr.Parity = append(sr.Parity, p...)
		if ctx.Err() != nil {
			return err
		}
		// A differing answer or a failed query is reported and fails the
		// run at the end; the other queries are still measured.
		parityErrs = append(parityErrs, err)
		logger.Info("answers compared", "view", v.ID, "elapsed_s", round(time.Since(began).Seconds()))
	}
	logger.Info("answers compared", "queries", len(sr.Parity), "identical", countMatches(sr.Parity),
		"planned_timing_minutes_postgres", round(planned(sr.Parity, cfg.Budget, false).Minutes()),
		"planned_timing_minutes_clickhouse", round(planned(sr.Parity, cfg.Budget, true).Minutes()))
	sr.PhaseSeconds["parity"] = round(time.Since(began).Seconds())
	sr.Memory = map[string]Memory{}
	for _, store := range measuredStores {
		began := time.Now()
		s := startSampler(250 * time.Millisecond)
		qs, ds, err := c.runQueries(ctx, data.Site, cfg.timedVariants(data), sr.Parity, store, cfg.Budget, logger)
		sr.Queries = append(sr.Queries, qs...)
		sr.Dashboards = append(sr.Dashboards, ds...)
		sr.Memory[StoreName(store)] = s.Stop()[StoreName(store)]
		sr.PhaseSeconds["timed_"+StoreName(store)] = round(time.Since(began).Seconds())
		if ctx.Err() != nil {
			return err
		}
		parityErrs = append(parityErrs, err)
	}
	return errors.Join(parityErrs...)
}

// variants returns the views to measure.
func (c Config) variants(d DataConfig) []Variant {
	if len(c.Views) == 0 {
		return Variants(d)
	}
	var out []Variant
	for _, v := range Variants(d) {
		if slices.Contains(c.Views, v.ID) {
			out = append(out, v)
		}
	}
	return out
}

// planned is the time the timed repetitions of one store will take at the
// warm-up's costs (whole-dashboard loads not included).
func planned(ps []Parity, b Budget, clickhouse bool) time.Duration {
	var total time.Duration
	for _, p := range ps {
		c := time.Duration(p.PostgresMs * float64(time.Millisecond))
		if clickhouse {
			c = time.Duration(p.ClickHouseMs * float64(time.Millisecond))
		}
		total += time.Duration(b.RepsFor(c)) * c
	}
	return total
}

// timedVariants returns the views timed per store.
func (c Config) timedVariants(d DataConfig) []Variant {
	if len(c.TimedViews) == 0 {
		return c.variants(d)
	}
	var out []Variant
	for _, v := range c.variants(d) {
		if slices.Contains(c.TimedViews, v.ID) {
			out = append(out, v)
		}
	}
	return out
}

func countMatches(ps []Parity) int {
	n := 0
	for _, p := range ps {
		if p.Match {
			n++
		}
	}
	return n
}

// schema is the PostgreSQL schema of the bench databases (the writers').
const schema = "footprint"

// openStores creates a fresh PostgreSQL and ClickHouse database, migrated by
// the store module, and opens both stores on them.
func openStores(ctx context.Context, st *stack.Stack, logger *slog.Logger) (Stores, func(), error) {
	var s Stores
	_, pgURL, err := st.NewPostgresDB(ctx, "fp_dash")
	if err != nil {
		return s, nil, err
	}
	chDB, err := st.NewClickHouseDB(ctx, "fp_dash")
	if err != nil {
		return s, nil, err
	}
	pgCfg := postgres.DefaultConfig()
	pgCfg.URL, pgCfg.Schema = pgURL, schema
	pg, err := postgres.Open(ctx, pgCfg, logger)
	if err != nil {
		return s, nil, err
	}
	chCfg := clickhouse.DefaultConfig()
	chCfg.Addr, chCfg.Database = st.Config().ClickHouseAddr, chDB
	chs, err := clickhouse.Open(ctx, chCfg, logger)
	if err != nil {
		_ = pg.Close()
		return s, nil, err
	}
	closeAll := func() { _ = pg.Close(); _ = chs.Close() }
	if err := errors.Join(pg.Migrate(ctx), chs.Migrate(ctx)); err != nil {
		closeAll()
		return s, nil, fmt.Errorf("migrate: %w", err)
	}
	return Stores{PG: pg, CH: chs, PGURL: pgURL, PGSchema: schema, CHConfig: chCfg}, closeAll, nil
}

// queryService is a running query service and a client of it.
type queryService struct {
	proc   *svc.Process
	conn   *grpc.ClientConn
	caller caller
}

func (q *queryService) stop() error {
	return errors.Join(q.conn.Close(), q.proc.Stop(10*time.Second))
}

// Reader role of the local stack (deploy/local/stack.sh): the query service
// connects as nothing else.
const (
	pgReader         = "footprint_reader"
	pgReaderPassword = "footprint_reader"
)

// startQuery runs the query service on the bench databases. Its limits are
// raised so slow PostgreSQL panels at millions of events are measured, not
// cut off: a 30-minute call timeout and queue wait, and no periodic
// consistency check competing with the queries.
func startQuery(ctx context.Context, s Stores, bin, logDir, site string, logger *slog.Logger) (*queryService, error) {
	readerURL, err := grantReader(ctx, s.PGURL, s.PGSchema)
	if err != nil {
		return nil, err
	}
	grpcAddr, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	httpAddr, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	admin, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"FOOTPRINT_QUERY_GRPC_ADDR":   grpcAddr,
		"FOOTPRINT_QUERY_HTTP_ADDR":   httpAddr,
		"FOOTPRINT_ADMIN_ADDR":        admin,
		"FOOTPRINT_QUERY_PG_URL":      readerURL,
		"FOOTPRINT_QUERY_PG_SCHEMA":   s.PGSchema,
		"FOOTPRINT_QUERY_CH_ADDR":     s.CHConfig.Addr,
		"FOOTPRINT_QUERY_CH_DATABASE": s.CHConfig.Database,
		// The stack's read-only ClickHouse user may read only the
		// `footprint` database; the bench database is read as default.
		"FOOTPRINT_QUERY_CH_USER":              "default",
		"FOOTPRINT_QUERY_CH_PASSWORD":          "",
		"FOOTPRINT_QUERY_PUBLIC_SITES":         site,
		"FOOTPRINT_QUERY_TIMEOUT":              "30m",
		"FOOTPRINT_QUERY_QUEUE_WAIT":           "30m",
		"FOOTPRINT_QUERY_CONSISTENCY_INTERVAL": "0s",
		"FOOTPRINT_LOG_LEVEL":                  "warn",
	}
	proc, err := svc.Start(ctx, "query", bin, env, logDir, logger)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		_ = proc.Stop(5 * time.Second)
		return nil, fmt.Errorf("grpc client: %w", err)
	}
	return &queryService{proc: proc, conn: conn, caller: caller{client: queryv1.NewQueryServiceClient(conn)}}, nil
}

// grantReader lets the read-only role read the bench database, as the stack
// does for the real one, and returns the role's URL of it.
func grantReader(ctx context.Context, adminURL, schema string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	sch := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{
		"GRANT USAGE ON SCHEMA " + sch + " TO " + pgReader,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + sch + " TO " + pgReader,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return "", fmt.Errorf("%s: %w", stmt, err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	u.User = url.UserPassword(pgReader, pgReaderPassword)
	return u.String(), nil
}

func cloneReq(r *queryv1.QueryRequest) *queryv1.QueryRequest {
	return proto.Clone(r).(*queryv1.QueryRequest) //nolint:forcetypeassert // Clone returns the type it is given
}

func round(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// cpus is the machine's logical CPUs (the report's setup).
func cpus() int { return runtime.NumCPU() }
