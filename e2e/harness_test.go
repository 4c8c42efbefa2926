package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	chdriver "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
	"github.com/footprint/footprint/store/storetest"
	"github.com/jackc/pgx/v5"
)

// The binaries under test, built once per test run from the working tree.
var binaries = map[string]string{
	"collector":   "services/collector",
	"pg-writer":   "services/pg-writer",
	"ch-writer":   "services/ch-writer",
	"webapp":      "sdk/examples/webapp",
	"demotraffic": "sdk/examples/demotraffic",
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// repoRoot walks up from the working directory to the folder holding go.work.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}

// bin returns the path of a built binary. Everything is built on first use
// (after the stack checks, so a skipped run builds nothing) into one
// temporary folder shared by the tests of this run.
func bin(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			buildErr = err
			return
		}
		binDir, err = os.MkdirTemp("", "footprint-e2e-bin-")
		if err != nil {
			buildErr = fmt.Errorf("temp dir: %w", err)
			return
		}
		for name, pkg := range binaries {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, name), ".")
			cmd.Dir = filepath.Join(root, pkg)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build binaries: %v", buildErr)
	}
	return filepath.Join(binDir, name)
}

// stack is one test's isolated slice of the real stack: its own topics,
// PostgreSQL database and ClickHouse database.
type stack struct {
	brokers  string
	topic    string
	pgURL    string // superuser URL of the test's database
	pgSchema string
	chAddr   string
	chDB     string
	apiKey   string
	site     string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{
		brokers:  testenv.KafkaBrokers(t),
		pgSchema: "footprint",
		chAddr:   testenv.ClickHouseAddr(t),
		apiKey:   testenv.UniqueName("fp_e2e_key"),
		site:     testenv.UniqueName("site"),
	}
	s.topic = testenv.UniqueName("e2e")
	createTopics(t, s.brokers, s.topic, s.topic+".dlq")
	s.pgURL = storetest.PostgresDB(t)
	s.chDB = storetest.ClickHouseDB(t).Database
	return s
}

func createTopics(t *testing.T, brokers string, names ...string) {
	t.Helper()
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": brokers})
	if err != nil {
		t.Fatalf("kafka admin: %v", err)
	}
	t.Cleanup(admin.Close)
	var specs []kafka.TopicSpecification
	for _, n := range names {
		// Three partitions so that visitors spread over partitions as in
		// production, and ordering per key is actually exercised.
		specs = append(specs, kafka.TopicSpecification{Topic: n, NumPartitions: 3, ReplicationFactor: 1})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := admin.CreateTopics(ctx, specs, kafka.SetAdminOperationTimeout(20*time.Second))
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	for _, r := range res {
		if r.Error.Code() != kafka.ErrNoError {
			t.Fatalf("create topic %s: %v", r.Topic, r.Error)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, _ = admin.DeleteTopics(ctx, names)
	})
}

func chConn(t *testing.T, addr, db string) chdriver.Conn {
	t.Helper()
	conn, err := chdriver.Open(&chdriver.Options{
		Addr:     []string{addr},
		Auth:     chdriver.Auth{Database: db, Username: "default"},
		Protocol: chdriver.Native, // HTTP does not work with ClickHouse 18.16
	})
	if err != nil {
		t.Fatalf("clickhouse open: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(t *testing.T) string { return testenv.FreeAddr(t) }

// startProc starts a built binary with env added to the test's environment,
// as a testenv.Process (stopped when the test ends, its log shown if the test
// fails).
func startProc(t *testing.T, name, binary string, env map[string]string) *testenv.Process {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return testenv.StartTestProcess(t, name, cmd, env["FOOTPRINT_ADMIN_ADDR"])
}

// waitHTTP polls url until it answers 200, failing the test at the deadline
// or when the process exits first.
func waitHTTP(t *testing.T, p *testenv.Process, url string, limit time.Duration) {
	t.Helper()
	if err := p.WaitHTTP(context.Background(), url, limit); err != nil {
		t.Fatal(err)
	}
}

// services starts and restarts the pipeline's processes for one stack.
type services struct {
	t         *testing.T
	s         *stack
	grpcAddr  string
	httpAddr  string
	adminAddr string
}

func (sv *services) collectorEnv() map[string]string {
	return map[string]string{
		"FOOTPRINT_KAFKA_BROKERS":       sv.s.brokers,
		"FOOTPRINT_KAFKA_TOPIC":         sv.s.topic,
		"FOOTPRINT_ADMIN_ADDR":          sv.adminAddr,
		"FOOTPRINT_COLLECTOR_GRPC_ADDR": sv.grpcAddr,
		"FOOTPRINT_COLLECTOR_HTTP_ADDR": sv.httpAddr, // not the default port: tests run side by side
		"FOOTPRINT_COLLECTOR_API_KEYS":  sv.s.apiKey + "=" + sv.s.site,
		// Fixed, so a restarted collector derives the same visitor ids.
		"FOOTPRINT_COLLECTOR_VISITOR_SECRET": "e2e-visitor-secret-0123456789",
		"FOOTPRINT_LOG_LEVEL":                "debug",
	}
}

// startCollector starts the collector on the services' fixed gRPC address
// and waits until /readyz says Kafka is reachable.
func (sv *services) startCollector() *testenv.Process {
	sv.t.Helper()
	p := startProc(sv.t, "collector", bin(sv.t, "collector"), sv.collectorEnv())
	waitHTTP(sv.t, p, "http://"+sv.adminAddr+"/readyz", 60*time.Second)
	return p
}

func (sv *services) startWriters() (pg, ch *testenv.Process) {
	sv.t.Helper()
	common := func(group string) map[string]string {
		return map[string]string{
			"FOOTPRINT_KAFKA_BROKERS":         sv.s.brokers,
			"FOOTPRINT_KAFKA_TOPIC":           sv.s.topic,
			"FOOTPRINT_KAFKA_DLQ_TOPIC":       sv.s.topic + ".dlq",
			"FOOTPRINT_WRITER_GROUP":          group,
			"FOOTPRINT_ERASURE_TOPIC":         sv.s.topic + ".erasures", // the ops test's erasures (footprint erase)
			"FOOTPRINT_WRITER_BATCH_MAX_WAIT": "200ms",
			"FOOTPRINT_LOG_LEVEL":             "debug",
		}
	}
	pgEnv := common(testenv.UniqueName("e2e_pg"))
	pgAdmin := freeAddr(sv.t)
	pgEnv["FOOTPRINT_ADMIN_ADDR"] = pgAdmin
	pgEnv["FOOTPRINT_PG_URL"] = sv.s.pgURL
	pgEnv["FOOTPRINT_PG_SCHEMA"] = sv.s.pgSchema
	pg = startProc(sv.t, "pg-writer", bin(sv.t, "pg-writer"), pgEnv)

	chEnv := common(testenv.UniqueName("e2e_ch"))
	chAdmin := freeAddr(sv.t)
	chEnv["FOOTPRINT_ADMIN_ADDR"] = chAdmin
	chEnv["FOOTPRINT_CH_ADDR"] = sv.s.chAddr
	chEnv["FOOTPRINT_CH_DATABASE"] = sv.s.chDB
	chEnv["FOOTPRINT_CH_USER"] = "default"
	ch = startProc(sv.t, "ch-writer", bin(sv.t, "ch-writer"), chEnv)

	waitHTTP(sv.t, pg, "http://"+pgAdmin+"/readyz", 60*time.Second)
	waitHTTP(sv.t, ch, "http://"+chAdmin+"/readyz", 60*time.Second)
	return pg, ch
}

func newServices(t *testing.T, s *stack) *services {
	return &services{t: t, s: s, grpcAddr: freeAddr(t), httpAddr: freeAddr(t), adminAddr: freeAddr(t)}
}

// row is what a dashboard reads of one page view.
type row struct {
	EventID  string
	Method   string
	Path     string
	Referrer string
	Status   uint32
}

func (r row) key() string {
	return strings.Join([]string{r.Method, r.Path, r.Referrer, fmt.Sprint(r.Status)}, " ")
}

// storeCounts is the number of rows and of distinct event ids of the site,
// as the store packages count them (FINAL and uniqExact in ClickHouse, so
// correct before merges).
type storeCounts struct{ rows, distinct uint64 }

// siteCounter is what both store packages offer for this.
type siteCounter interface {
	SiteCounts(ctx context.Context, siteID string) (rows, distinct int64, err error)
}

func countSite(ctx context.Context, store siteCounter, site string) (storeCounts, error) {
	rows, distinct, err := store.SiteCounts(ctx, site)
	return storeCounts{rows: uint64(rows), distinct: uint64(distinct)}, err
}

// openStores opens the test's two stores through the store packages.
func openStores(t *testing.T, s *stack) (*postgres.Store, *clickhouse.Store) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pgCfg := postgres.DefaultConfig()
	pgCfg.URL, pgCfg.Schema = s.pgURL, s.pgSchema
	pg, err := postgres.Open(context.Background(), pgCfg, logger)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	chCfg := clickhouse.DefaultConfig()
	chCfg.Addr, chCfg.Database = s.chAddr, s.chDB
	ch, err := clickhouse.Open(context.Background(), chCfg, logger)
	if err != nil {
		t.Fatalf("open clickhouse store: %v", err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	return pg, ch
}

func pgRows(ctx context.Context, conn *pgx.Conn, schema, site string) ([]row, error) {
	q := fmt.Sprintf(`SELECT event_id::text, http_method, path, referrer, http_status
		FROM %s.events WHERE site_id = $1 AND name = 'page_view' ORDER BY occurred_at, event_id`,
		pgx.Identifier{schema}.Sanitize())
	rows, err := conn.Query(ctx, q, site)
	if err != nil {
		return nil, fmt.Errorf("postgres query: %w", err)
	}
	var out []row
	for rows.Next() {
		var r row
		var status int64
		if err := rows.Scan(&r.EventID, &r.Method, &r.Path, &r.Referrer, &status); err != nil {
			return nil, fmt.Errorf("postgres scan: %w", err)
		}
		r.Status = uint32(status)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres rows: %w", err)
	}
	return out, nil
}

func chRows(ctx context.Context, conn chdriver.Conn, site string) ([]row, error) {
	rows, err := conn.Query(ctx, `SELECT toString(event_id), http_method, path, referrer, http_status
		FROM events FINAL WHERE site_id = ? AND name = 'page_view' ORDER BY occurred_at, event_id`, site)
	if err != nil {
		return nil, fmt.Errorf("clickhouse query: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.EventID, &r.Method, &r.Path, &r.Referrer, &r.Status); err != nil {
			return nil, fmt.Errorf("clickhouse scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse rows: %w", err)
	}
	return out, nil
}

// waitForCounts polls both stores until each holds want distinct events of
// the site (or the deadline passes) and returns the last counts.
func waitForCounts(t *testing.T, s *stack, want uint64, limit time.Duration) (pg, ch storeCounts) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit+30*time.Second)
	defer cancel()
	pgStore, chStore := openStores(t, s)
	deadline := time.Now().Add(limit)
	var pgErr, chErr error
	for {
		pg, pgErr = countSite(ctx, pgStore, s.site)
		ch, chErr = countSite(ctx, chStore, s.site)
		// Both counts of a store must be there: each store counts rows and
		// distinct ids in two statements, so a batch landing between them
		// shows in the second only.
		if pgErr == nil && chErr == nil && reached(pg, want) && reached(ch, want) {
			return pg, ch
		}
		if time.Now().After(deadline) {
			t.Fatalf("stores did not reach %d events within %s: postgres %+v (err %v), clickhouse %+v (err %v)",
				want, limit, pg, pgErr, ch, chErr)
		}
		time.Sleep(250 * time.Millisecond) // polling interval
	}
}

func reached(c storeCounts, want uint64) bool { return c.rows >= want && c.distinct >= want }

func readRows(t *testing.T, s *stack) (pg, ch []row) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pgConn, err := pgx.Connect(ctx, s.pgURL)
	if err != nil {
		t.Fatalf("postgres connect: %v", err)
	}
	defer func() { _ = pgConn.Close(context.Background()) }()
	if pg, err = pgRows(ctx, pgConn, s.pgSchema, s.site); err != nil {
		t.Fatal(err)
	}
	if ch, err = chRows(ctx, chConn(t, s.chAddr, s.chDB), s.site); err != nil {
		t.Fatal(err)
	}
	return pg, ch
}

// startWebapp starts the SDK's example web app against the services'
// collector and waits until it answers; extra adds to its environment.
func startWebapp(t *testing.T, s *stack, sv *services, extra map[string]string) (*testenv.Process, string) {
	t.Helper()
	addr := freeAddr(t)
	env := map[string]string{
		"FOOTPRINT_WEBAPP_ADDR":    addr,
		"FOOTPRINT_COLLECTOR_ADDR": sv.grpcAddr,
		"FOOTPRINT_API_KEY":        s.apiKey,
		"FOOTPRINT_SITE_ID":        s.site,
	}
	maps.Copy(env, extra)
	web := startProc(t, "webapp", bin(t, "webapp"), env)
	waitHTTP(t, web, "http://"+addr+"/healthz", 30*time.Second)
	return web, addr
}
