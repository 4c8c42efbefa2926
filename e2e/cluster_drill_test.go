//go:build cluster

// The failure drill of the multi-node profile (docs/deploy.md, "The cluster profile").
// `make test-cluster` starts the profile (deploy/local/cluster.sh up) and runs this test;
// plain `make test` does not build it (build tag "cluster").
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	chdriver "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
)

// The profile's fixed addresses and development credentials (deploy/local/cluster.sh).
const (
	drillAPIKey      = "fp_dev_key"
	drillSite        = "demo"
	drillQueryBase   = "http://127.0.0.1:18090"
	drillPGPrimary   = "postgres://postgres:postgres@127.0.0.1:15432/footprint"
	drillPGReplica   = "postgres://postgres:postgres@127.0.0.1:15433/footprint"
	drillBatch       = 20
	drillBatchEvery  = 50 * time.Millisecond // 400 events/s over two collectors
	drillPhase       = 12 * time.Second      // steady ingest between the drill's steps
	drillCatchUpMax  = 5 * time.Minute
	drillReadTimeout = 30 * time.Second // one read of a store's ids
	drillQueryEvery  = 500 * time.Millisecond
	drillMaxQueryGap = 15 * time.Second
)

var (
	drillCollectors = []string{"127.0.0.1:51051", "127.0.0.1:51061"}
	drillCHReplicas = []string{"127.0.0.1:19000", "127.0.0.1:19001"}
)

func clusterDir(t *testing.T) (repo, dir string) {
	t.Helper()
	repo, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := os.Getenv("FOOTPRINT_STACK_DIR")
	if base == "" {
		base = filepath.Join(repo, ".stack")
	}
	return repo, filepath.Join(base, "cluster")
}

// TestClusterFailureDrill: under steady ingest through both collectors, kill -9 one Kafka
// broker, one ClickHouse replica and one replica of each writer, bring them back, and check
// that every acknowledged event is stored exactly once in both stores (and on both ClickHouse
// replicas and the PostgreSQL standby), and that the query service kept answering.
func TestClusterFailureDrill(t *testing.T) {
	repo, dir := clusterDir(t)
	d := &drill{t: t, repo: repo, dir: dir, run: "drill_" + strconv.FormatInt(time.Now().UnixNano()%1e12, 10)}
	d.requireRunning()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ingest := d.startIngest(ctx)
	queries := d.startQueries(ctx)

	d.sleep(drillPhase) // steady state
	brokerKill := time.Now()
	d.kill("kafka1")
	d.sleep(drillPhase)
	brokerWindowEnd := time.Now()
	d.kill("clickhouse1") // ch-writer1's and the query service's first replica
	d.sleep(drillPhase)
	d.kill("ch-writer2")
	d.kill("pg-writer2")
	d.sleep(drillPhase)
	reviveStart := time.Now()
	d.revive()
	revived := time.Now()
	t.Logf("DRILL revive (cluster.sh revive: broker, replica, writers back and ready) took %s", revived.Sub(reviveStart).Round(time.Millisecond))
	ingest.switchPhase() // events after this point carry the second phase's name
	d.sleep(drillPhase)
	ingest.stop()

	caughtUp := d.waitCaughtUp(ingest, revived)
	cancel()
	queries.wait()

	stats := ingest.stats(brokerKill, brokerWindowEnd)
	t.Logf("DRILL ingest: %d batches, %d events acknowledged, %d calls failed and were retried", stats.batches, stats.acked, stats.failedCalls)
	t.Logf("DRILL Ingest latency (first attempt to acknowledgement, retries included): before the kills p50 %s max %s; "+
		"the %d batches started in the %s after the broker kill: p50 %s p99 %s max %s",
		stats.steadyP50.Round(time.Millisecond), stats.steadyMax.Round(time.Millisecond), stats.killBatches, drillPhase,
		stats.killP50.Round(time.Millisecond), stats.killP99.Round(time.Millisecond), stats.killMax.Round(time.Millisecond))
	t.Logf("DRILL catch-up: both stores held every event acknowledged before the revive %s after it", caughtUp.Round(time.Millisecond))
	t.Logf("DRILL query service: %d queries, %d failed, longest time without an answer %s", queries.total, len(queries.failures), queries.maxGap.Round(time.Millisecond))

	if len(ingest.rejected) > 0 {
		t.Fatalf("the collectors rejected %d events, first: %s", len(ingest.rejected), ingest.rejected[0])
	}
	d.checkStores(ingest)
	if queries.maxGap > drillMaxQueryGap {
		t.Errorf("the query service did not answer for %s (limit %s); failures: %s", queries.maxGap, drillMaxQueryGap, strings.Join(queries.failures, "; "))
	}
	if queries.total == 0 || queries.total == len(queries.failures) {
		t.Errorf("the query service never answered (%d queries)", queries.total)
	}
}

type drill struct {
	t              *testing.T
	repo, dir, run string
}

func (d *drill) sleep(dur time.Duration) { time.Sleep(dur) } // the drill's pacing, not synchronisation

func (d *drill) pid(name string) int {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "pids", name+".pid"))
	if err != nil {
		d.t.Fatalf("%s: %v (run `make up PROFILE=cluster` first)", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		d.t.Fatalf("%s pid: %v", name, err)
	}
	return pid
}

func (d *drill) requireRunning() {
	d.t.Helper()
	out, err := exec.Command("bash", filepath.Join(d.repo, "deploy/local/cluster.sh"), "status").CombinedOutput()
	if err != nil || strings.Contains(string(out), "stopped") {
		d.t.Fatalf("the cluster profile is not fully running (make up PROFILE=cluster): %v\n%s", err, out)
	}
}

func (d *drill) kill(name string) {
	d.t.Helper()
	pid := d.pid(name)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		d.t.Fatalf("kill -9 %s (pid %d): %v", name, pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			d.t.Fatalf("%s (pid %d) survived kill -9", name, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Logf("DRILL %s killed -9 (pid %d)", name, pid)
}

func (d *drill) revive() {
	d.t.Helper()
	cmd := exec.Command("bash", filepath.Join(d.repo, "deploy/local/cluster.sh"), "revive")
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("cluster.sh revive: %v\n%s", err, out)
	}
}

// ---- steady ingest -----------------------------------------------------------------

type batchResult struct {
	started, acked time.Time
	attempts       int
}

type ingester struct {
	run      string
	mu       sync.Mutex
	phase    int
	sent     map[string]int // event id -> phase, every event sent at least once
	acked    map[string]int // event id -> phase, acknowledged (ACCEPTED)
	pending  int            // batches not acknowledged yet
	batches  []batchResult
	failures int
	rejected []string
	done     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func (d *drill) phaseName(phase int) string { return fmt.Sprintf("%s_%d", d.run, phase) }

func (d *drill) startIngest(ctx context.Context) *ingester {
	d.t.Helper()
	in := &ingester{run: d.run, sent: map[string]int{}, acked: map[string]int{}, done: make(chan struct{})}
	clients := make([]collectorv1.CollectorServiceClient, len(drillCollectors))
	for i, addr := range drillCollectors {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			d.t.Fatalf("collector %s: %v", addr, err)
		}
		d.t.Cleanup(func() { _ = conn.Close() })
		clients[i] = collectorv1.NewCollectorServiceClient(conn)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+drillAPIKey)
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		tick := time.NewTicker(drillBatchEvery)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-in.done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			in.mu.Lock()
			phase := in.phase
			in.pending++
			in.mu.Unlock()
			events := drillEvents(d.phaseName(phase), n)
			in.wg.Add(1)
			go func() {
				defer in.wg.Done()
				in.deliver(ctx, clients, n, phase, events)
			}()
		}
	}()
	return in
}

func drillEvents(name string, n int) []*eventv1.Event {
	now := timestamppb.Now()
	out := make([]*eventv1.Event, drillBatch)
	for i := range out {
		out[i] = &eventv1.Event{
			EventId: uuid.NewString(), SiteId: drillSite, Name: name, OccurredAt: now,
			VisitorId: fmt.Sprintf("v%d", (n*drillBatch+i)%997),
			Page:      &eventv1.Page{Url: "https://example.com/drill/" + strconv.Itoa(i)},
		}
	}
	return out
}

// deliver sends one batch until every event is accepted, alternating collectors and
// retrying with the same event ids (what a client does with UNAVAILABLE).
func (in *ingester) deliver(ctx context.Context, clients []collectorv1.CollectorServiceClient, n, phase int, events []*eventv1.Event) {
	res := batchResult{started: time.Now()}
	in.mu.Lock()
	for _, ev := range events {
		in.sent[ev.GetEventId()] = phase
	}
	in.mu.Unlock()
	left := events
	for attempt := 0; len(left) > 0; attempt++ {
		if ctx.Err() != nil {
			return
		}
		res.attempts++
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := clients[(n+attempt)%len(clients)].Ingest(callCtx, &collectorv1.IngestRequest{Events: left})
		cancel()
		if err != nil {
			in.mu.Lock()
			in.failures++
			in.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
			continue
		}
		in.mu.Lock()
		for i, r := range resp.GetResults() {
			if r.GetOutcome() == collectorv1.Outcome_OUTCOME_ACCEPTED {
				in.acked[left[i].GetEventId()] = phase
			} else { // permanent: the drill fails on any
				in.rejected = append(in.rejected, r.GetField()+": "+r.GetMessage())
			}
		}
		in.mu.Unlock()
		left = nil
	}
	res.acked = time.Now()
	in.mu.Lock()
	in.batches = append(in.batches, res)
	in.pending--
	in.mu.Unlock()
}

func (in *ingester) switchPhase() {
	in.mu.Lock()
	in.phase++
	in.mu.Unlock()
}

func (in *ingester) stop() {
	in.stopOnce.Do(func() { close(in.done) })
	in.wg.Wait()
}

// ackedIn returns the acknowledged ids of a phase (all phases for -1).
func (in *ingester) ackedIn(phase int) map[string]bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]bool{}
	for id, p := range in.acked {
		if phase < 0 || p == phase {
			out[id] = true
		}
	}
	return out
}

type ingestStats struct {
	batches, acked, failedCalls                     int
	steadyP50, steadyMax, killP50, killP99, killMax time.Duration
	killBatches                                     int
}

func (in *ingester) stats(killFrom, killTo time.Time) ingestStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := ingestStats{batches: len(in.batches), acked: len(in.acked), failedCalls: in.failures}
	var steady, during []time.Duration
	for _, b := range in.batches {
		lat := b.acked.Sub(b.started)
		if !b.started.Before(killFrom) && b.started.Before(killTo) {
			during = append(during, lat)
		} else if b.started.Before(killFrom) {
			steady = append(steady, lat)
		}
	}
	slices.Sort(steady)
	slices.Sort(during)
	if len(steady) > 0 {
		s.steadyP50, s.steadyMax = steady[len(steady)/2], steady[len(steady)-1]
	}
	if s.killBatches = len(during); len(during) > 0 {
		s.killP50, s.killP99, s.killMax = during[len(during)/2], during[len(during)*99/100], during[len(during)-1]
	}
	return s
}

// ---- the query service, polled throughout ----------------------------------------------

type queryPoll struct {
	total    int
	failures []string
	maxGap   time.Duration
	done     chan struct{}
}

func (d *drill) startQueries(ctx context.Context) *queryPoll {
	q := &queryPoll{done: make(chan struct{})}
	go func() {
		defer close(q.done)
		prev := time.Now() // the last answer; maxGap is the longest time between two
		for ctx.Err() == nil {
			q.total++
			_, err := drillQuery(d.run + "_0")
			if now := time.Now(); err != nil {
				q.failures = append(q.failures, now.Format("15:04:05.000")+" "+err.Error())
			} else {
				q.maxGap = max(q.maxGap, now.Sub(prev))
				prev = now
			}
			select {
			case <-ctx.Done():
			case <-time.After(drillQueryEvery):
			}
		}
		q.maxGap = max(q.maxGap, time.Since(prev))
	}()
	return q
}

func (q *queryPoll) wait() { <-q.done }

// drillQuery asks the query service for today's events of one name in both stores.
func drillQuery(name string) (map[queryv1.Store]float64, error) {
	req := &queryv1.QueryRequest{
		SiteId: drillSite, DateRange: &queryv1.DateRange{Preset: "today"}, TimeZone: "UTC",
		Metrics: []string{"events"}, Store: queryv1.Store_STORE_BOTH,
		Filters: []*queryv1.Filter{{Dimension: "event:name", Operator: queryv1.FilterOperator_FILTER_OPERATOR_IS, Values: []string{name}}},
	}
	resp := &queryv1.QueryResponse{}
	if err := drillPost("/api/v1/query", req, resp); err != nil {
		return nil, err
	}
	out := map[queryv1.Store]float64{}
	for _, r := range resp.GetResults() {
		if rows := r.GetRows(); len(rows) > 0 && len(rows[0].GetMetrics()) > 0 {
			out[r.GetStore()] = rows[0].GetMetrics()[0]
		} else {
			out[r.GetStore()] = 0
		}
	}
	return out, nil
}

var drillHTTP = &http.Client{Timeout: 10 * time.Second}

func drillPost(path string, req, resp proto.Message) error {
	body, err := protojson.Marshal(req)
	if err != nil {
		return err
	}
	r, err := drillHTTP.Post(drillQueryBase+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = r.Body.Close() }()
	out, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s %s", path, r.Status, bytes.TrimSpace(out))
	}
	return protojson.Unmarshal(out, resp)
}

// ---- the stores ---------------------------------------------------------------------------

func (d *drill) pgIDs(ctx context.Context, url, like string) ([]string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close(ctx) }()
	rows, err := conn.Query(ctx, "SELECT event_id::text FROM footprint.events WHERE site_id = $1 AND name LIKE $2", drillSite, like)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// chIDs reads one ClickHouse replica's own replicated table (database footprint_local), or
// the Distributed table (database footprint) when local is false. FINAL deduplicates.
func (d *drill) chIDs(ctx context.Context, addr string, local bool, like string) ([]string, error) {
	db := "footprint"
	if local {
		db = "footprint_local"
	}
	conn, err := chdriver.Open(&chdriver.Options{Addr: []string{addr}, Protocol: chdriver.Native,
		Auth: chdriver.Auth{Database: db, Username: "default"}, DialTimeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	var raw uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events WHERE site_id = ? AND name LIKE ?", drillSite, like).Scan(&raw); err != nil {
		return nil, err
	}
	if local {
		// Rows before merges: redelivered batches may leave identical copies that FINAL and
		// the dashboards' uniqExact count once; reported, not asserted.
		d.t.Logf("DRILL %s footprint_local.events: %d rows before FINAL", addr, raw)
	}
	rows, err := conn.Query(ctx, "SELECT toString(event_id) FROM events FINAL WHERE site_id = ? AND name LIKE ?", drillSite, like)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func containsAll(have []string, want map[string]bool) bool { return missing(have, want) == 0 }

// waitCaughtUp polls until both stores hold every event acknowledged in the first phase
// (before the revive) and returns how long after the revive that was. Each read has its
// own timeout, so a read cut off by the overall deadline does not hide what the earlier
// ones found; a timeout reports how many events each store still lacks and the writer
// groups' lag (the events Kafka holds that a writer has not stored and committed).
func (d *drill) waitCaughtUp(in *ingester, revived time.Time) time.Duration {
	d.t.Helper()
	want := in.ackedIn(0)
	deadline := time.Now().Add(drillCatchUpMax)
	like := d.phaseName(0)
	var lastPG, lastCH []string
	var pgErr, chErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), drillReadTimeout)
		var pg, ch []string
		pg, pgErr = d.pgIDs(ctx, drillPGPrimary, like)
		ch, chErr = d.chIDs(ctx, drillCHReplicas[0], false, like)
		cancel()
		if pgErr == nil {
			lastPG = pg
		}
		if chErr == nil {
			lastCH = ch
		}
		if pgErr == nil && chErr == nil && containsAll(pg, want) && containsAll(ch, want) {
			return time.Since(revived)
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the stores did not catch up within %s: of %d acknowledged events postgres lacked %d (last read error: %v), "+
				"clickhouse lacked %d (last read error: %v); writer lag: pg-writer %s, ch-writer %s",
				drillCatchUpMax, len(want), missing(lastPG, want), pgErr, missing(lastCH, want), chErr,
				d.lag("footprint-pg-writer"), d.lag("footprint-ch-writer"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// missing counts the ids of want that have does not hold.
func missing(have []string, want map[string]bool) int {
	set := make(map[string]bool, len(have))
	for _, id := range have {
		set[id] = true
	}
	n := 0
	for id := range want {
		if !set[id] {
			n++
		}
	}
	return n
}

// lag is a consumer group's total lag on the events topic (cluster.sh lag), or why it is unknown.
func (d *drill) lag(group string) string {
	out, err := exec.Command("bash", filepath.Join(d.repo, "deploy/local/cluster.sh"), "lag", group).Output()
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return strings.TrimSpace(string(out))
}

// checkStores: every acknowledged event once in PostgreSQL (primary and standby) and in
// ClickHouse (the Distributed table and each replica's own table), nothing that was not
// sent, and the same ids everywhere; the query service reports the same counts.
func (d *drill) checkStores(in *ingester) {
	d.t.Helper()
	want := in.ackedIn(-1)
	in.mu.Lock()
	sent := maps.Clone(in.sent)
	in.mu.Unlock()
	like := d.run + "_%"
	ctx, cancel := context.WithTimeout(context.Background(), drillCatchUpMax)
	defer cancel()
	type source struct {
		name string
		read func() ([]string, error)
	}
	sources := []source{
		{"postgres primary", func() ([]string, error) { return d.pgIDs(ctx, drillPGPrimary, like) }},
		{"postgres standby", func() ([]string, error) { return d.pgIDs(ctx, drillPGReplica, like) }},
		{"clickhouse distributed", func() ([]string, error) { return d.chIDs(ctx, drillCHReplicas[0], false, like) }},
		{"clickhouse replica 1", func() ([]string, error) { return d.chIDs(ctx, drillCHReplicas[0], true, like) }},
		{"clickhouse replica 2", func() ([]string, error) { return d.chIDs(ctx, drillCHReplicas[1], true, like) }},
	}
	var reference []string
	for _, src := range sources {
		var ids []string
		var err error
		// The standby and the second replica may trail by a moment: poll until they hold all.
		for {
			ids, err = src.read()
			if err == nil && containsAll(ids, want) || ctx.Err() != nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil {
			d.t.Errorf("%s: %v", src.name, err)
			continue
		}
		seen := map[string]int{}
		for _, id := range ids {
			seen[id]++
		}
		var dups, unknown int
		for id, n := range seen {
			if n > 1 {
				dups++
			}
			if _, ok := sent[id]; !ok {
				unknown++
			}
		}
		lost := missing(ids, want)
		d.t.Logf("DRILL %s: %d rows, %d distinct, %d acknowledged events missing, %d duplicated, %d never sent", src.name, len(ids), len(seen), lost, dups, unknown)
		if lost > 0 || dups > 0 || unknown > 0 {
			d.t.Errorf("%s: %d acknowledged events lost, %d duplicated, %d never sent", src.name, lost, dups, unknown)
		}
		slices.Sort(ids)
		if reference == nil {
			reference = ids
		} else if !slices.Equal(reference, ids) {
			d.t.Errorf("%s holds other events than %s (%d vs %d)", src.name, sources[0].name, len(ids), len(reference))
		}
	}
	for phase := 0; phase <= 1; phase++ {
		got, err := drillQuery(d.phaseName(phase))
		if err != nil {
			d.t.Errorf("query service after the drill: %v", err)
			continue
		}
		n := float64(len(in.ackedIn(phase)))
		if got[queryv1.Store_STORE_POSTGRES] < n || got[queryv1.Store_STORE_CLICKHOUSE] != got[queryv1.Store_STORE_POSTGRES] {
			d.t.Errorf("query service, phase %d: postgres %v, clickhouse %v events, want both %v (or the few more stored but not acknowledged)",
				phase, got[queryv1.Store_STORE_POSTGRES], got[queryv1.Store_STORE_CLICKHOUSE], n)
		}
	}
}
