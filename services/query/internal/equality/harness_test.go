package equality

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/config"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/store"
	chstore "github.com/footprint/footprint/store/clickhouse"
	pgstore "github.com/footprint/footprint/store/postgres"
	"github.com/footprint/footprint/store/storetest"
)

// stores are the two stores of one test database pair, filled with events.
type stores struct {
	pg, ch *store.Store
	// dialects by store, for the SQL dump.
	events []*eventv1.Event
}

// batchWriter is the write path both stores share (the writers' API).
type batchWriter interface {
	WriteBatch(ctx context.Context, events []*eventv1.Event) error
}

// load writes events through the store's own write path the way Kafka
// redelivery does: in shuffled batches (occurred_at out of order), then a
// third of the batches a second time, and one batch holding an event twice.
func load(ctx context.Context, w batchWriter, events []*eventv1.Event, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	shuffled := append([]*eventv1.Event(nil), events...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var batches [][]*eventv1.Event
	for len(shuffled) > 0 {
		n := min(len(shuffled), 1+r.IntN(200))
		batches = append(batches, shuffled[:n])
		shuffled = shuffled[n:]
	}
	for i, b := range batches {
		if err := w.WriteBatch(ctx, b); err != nil {
			return fmt.Errorf("write batch %d: %w", i, err)
		}
	}
	for i := 0; i < len(batches); i += 3 {
		if err := w.WriteBatch(ctx, batches[i]); err != nil {
			return fmt.Errorf("redeliver batch %d: %w", i, err)
		}
	}
	if err := w.WriteBatch(ctx, []*eventv1.Event{batches[0][0], batches[0][0]}); err != nil {
		return fmt.Errorf("write a batch with one event twice: %w", err)
	}
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openStores creates both test databases, migrates them with the stores'
// own migrations, loads events, and opens the query service's stores on them.
func openStores(t *testing.T, events []*eventv1.Event) *stores { return openStoresTB(t, events) }

func openStoresTB(t testing.TB, events []*eventv1.Event) *stores {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	pgURL := storetest.PostgresDB(t)
	pgCfg := pgstore.DefaultConfig()
	pgCfg.URL = pgURL
	pw, err := pgstore.Open(ctx, pgCfg, quiet)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = pw.Close() })
	if err := pw.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}

	chCfg := storetest.ClickHouseDB(t)
	cw, err := chstore.Open(ctx, chCfg, quiet)
	if err != nil {
		t.Fatalf("open clickhouse store: %v", err)
	}
	t.Cleanup(func() { _ = cw.Close() })
	if err := cw.Migrate(ctx); err != nil {
		t.Fatalf("migrate clickhouse: %v", err)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = load(ctx, pw, events, 1) })
	wg.Go(func() { errs[1] = load(ctx, cw, events, 2) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	duplicateUnmerged(ctx, t, chCfg)

	m, err := store.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	pgdb, err := store.OpenPostgres(ctx, store.PostgresOptions{URL: pgURL, MaxConns: 4, WorkMem: config.Default().PostgresWorkMem})
	if err != nil {
		t.Fatalf("open postgres for queries: %v", err)
	}
	chdb, err := store.OpenClickHouse(store.ClickHouseOptions{Addr: chCfg.Addr, Database: chCfg.Database, User: chCfg.User, Password: chCfg.Password, MaxConns: 4})
	if err != nil {
		t.Fatalf("open clickhouse for queries: %v", err)
	}
	s := &stores{
		pg:     store.New(queryv1.Store_STORE_POSTGRES, engine.Postgres{Schema: pgCfg.Schema}, pgdb, 4, time.Minute, m),
		ch:     store.New(queryv1.Store_STORE_CLICKHOUSE, engine.ClickHouse{Database: chCfg.Database}, chdb, 4, time.Minute, m),
		events: events,
	}
	t.Cleanup(func() { s.pg.Close(); s.ch.Close() })
	return s
}

// answer runs the request on both stores and returns both results.
func (s *stores) answer(t *testing.T, req *queryv1.QueryRequest, now time.Time) (*engine.Plan, *queryv1.StoreResult, *queryv1.StoreResult, error) {
	t.Helper()
	plan, err := engine.NewPlan(req, engine.Options{MaxRangeDays: 800, Now: func() time.Time { return now }})
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := make([]*queryv1.StoreResult, 2)
	for i, st := range []*store.Store{s.pg, s.ch} {
		a, took, err := st.Answer(ctx, plan)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
		}
		rows, total := plan.Build(a)
		results[i] = &queryv1.StoreResult{Store: st.Kind, Rows: rows, TotalRows: total, DurationMs: float64(took.Microseconds()) / 1000}
		dumpSQL(t, plan, st.Dialect)
	}
	return plan, results[0], results[1], nil
}

// dumpSQL appends the ClickHouse statements of every plan to the file
// FOOTPRINT_QUERY_SQL_DUMP names (one statement per line, arguments
// inlined), for the chdb-core check of current ClickHouse releases.
var dumpMu sync.Mutex

func dumpSQL(t *testing.T, plan *engine.Plan, d engine.Dialect) {
	path := os.Getenv("FOOTPRINT_QUERY_SQL_DUMP")
	if path == "" || d.Name() != "clickhouse" {
		return
	}
	dumpMu.Lock()
	defer dumpMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("sql dump: %v", err)
	}
	defer func() { _ = f.Close() }()
	sts := plan.Statements(d)
	for _, st := range []*engine.Statement{sts.Rows, sts.Count, sts.CompRows} {
		if st == nil {
			continue
		}
		text := inline(*st)
		if _, err := fmt.Fprintln(f, strings.ReplaceAll(text, "\n", " ")); err != nil {
			t.Fatalf("sql dump: %v", err)
		}
	}
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// inline writes the arguments into the text as ClickHouse literals, the way
// clickhouse-go binds them on the client (strings quoted with backslash
// escapes, integers as they are).
func inline(st engine.Statement) string {
	return placeholder.ReplaceAllStringFunc(st.SQL, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		switch v := st.Args[n-1].(type) {
		case string:
			return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		default:
			return fmt.Sprint(v)
		}
	})
}

// duplicateUnmerged copies a third of the ClickHouse rows once more, as the
// table holds them after a writer crashed between appending events and
// their keys and appended them again on redelivery, before
// ReplacingMergeTree merges them away. Every query must still count each
// event once (PostgreSQL's key cannot hold a second copy).
func duplicateUnmerged(ctx context.Context, t testing.TB, cfg chstore.Config) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{cfg.Addr}, Auth: clickhouse.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Exec(ctx, "INSERT INTO events SELECT * FROM events WHERE cityHash64(toString(event_id)) % 3 = 0"); err != nil {
		t.Fatalf("duplicate rows: %v", err)
	}
	var rows, distinct uint64
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows <= distinct {
		t.Fatalf("ClickHouse holds %d rows for %d events: no unmerged duplicates to test with", rows, distinct)
	}
}
