package suite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/footprint/footprint/bench/internal/baseline"
	"github.com/footprint/footprint/bench/internal/load"
	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stack"
	"github.com/footprint/footprint/bench/internal/stats"
	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// latencyTargetMs is issue 15's p99 ack-to-visible target at 50% load.
const latencyTargetMs = 1000

// phaseE2EMax is the resource phase of the end-to-end maximum-rate runs.
const phaseE2EMax = "4 end to end, max rate"

// faithfulStores is where the per-message baselines write: one PostgreSQL
// and one ClickHouse database for the whole scenario, one table per shape
// and round (a table of an earlier round would turn INSERTs into conflicts).
type faithfulStores struct {
	pool *pgxpool.Pool
	chDB string
}

// endToEnd is scenario 4. Per round: the faithful per-message baseline on
// the full row and on the original's three-column row (in alternating
// order), then Footprint end
// to end (fresh topic, databases and services) at maximum rate, then the
// latency phases at 50% and 90% of that round's rate.
func (r *runner) endToEnd(ctx context.Context, s *report.Scenario) error {
	for _, name := range []string{svc.Collector, svc.PGWriter, svc.CHWriter} {
		if _, ok := r.bins[name]; !ok {
			return fmt.Errorf("%s: %w", name, r.binErr[name])
		}
	}
	if r.prefilled == "" {
		return errors.New("no pre-filled topic: scenario 1's raw producer did not run")
	}
	_, pool, err := r.newPostgresDB(ctx, "bench_permsg")
	if err != nil {
		return err
	}
	defer pool.Close()
	chDB, err := r.st.NewClickHouseDB(ctx, "bench_permsg")
	if err != nil {
		return err
	}
	fs := faithfulStores{pool: pool, chDB: chDB}
	ser := newSeries()
	var lats []report.Latency
	err = interleave(ctx, r.cfg.Repeats, []step{
		{name: "per-message baselines", run: func(ctx context.Context, round int) error {
			// The two variants swap places every round, so neither always
			// follows the previous round's end-to-end load (background
			// merges, vacuum).
			var errs []error
			for _, shape := range shapeOrder(round) {
				name := mPerMsgFull
				if shape == baseline.ShapeLink {
					name = mPerMsgLink
				}
				if err := r.perMessage(ctx, round, fs, shape, name, ser); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
				}
			}
			return errors.Join(errs...)
		}},
		{name: mE2E, run: func(ctx context.Context, round int) error {
			l, err := r.e2eRound(ctx, round, ser)
			lats = append(lats, l...)
			return err
		}},
	}, r.stepDone)
	ser.note(mPerMsgFull, "sample")
	ser.note(mPerMsgLink, "sample")
	s.Measurements = ser.measurements()
	s.Latencies = report.MergeLatencies(lats)
	r.addRatio(s, "end to end / per-message baseline, full row", mE2E, mPerMsgFull, 0)
	r.addRatio(s, "end to end / per-message baseline, link row", mE2E, mPerMsgLink, 0)
	if note := cpuPerEvent(r.res, phaseE2EMax, ser.runs[mE2E], runtime.NumCPU()); note != "" {
		s.Notes = append(s.Notes, note)
	}
	s.Notes = append(s.Notes,
		fmt.Sprintf("The per-message baselines are the original design as it ran: one consumer with the Kafka client's default auto-commit; per message it decodes the event, runs one autocommitted INSERT into PostgreSQL and one single-row native INSERT into ClickHouse, in the same loop. %q writes Footprint's full event row (%d columns); %q writes the original's three columns (link, method, time). Each runs on a sample of at most %d messages or %v of the pre-filled topic and is reported in messages per second, each message stored in both stores.", mPerMsgFull, len(baseline.Columns), mPerMsgLink, r.cfg.PerMessageSample, r.cfg.PerMessageCap),
		"End to end, both stores: acknowledged events divided by the time from the first Ingest call until both stores hold all of them.",
		fmt.Sprintf("Latency runs are paced (open loop) unary Ingest calls; the first event of every batch is a marker whose id is polled in each store every 50 ms, so a latency is late by at most one poll interval plus one query. The writers' batch wait (%v by default) bounds the latency from below under light load. Each round's paced rates are taken from that round's maximum rate.", sink.DefaultConfig("").BatchMaxWait),
	)
	return err
}

// shapeOrder is the order of the per-message variants in a round: the full
// row first in even rounds, the link row first in odd ones.
func shapeOrder(round int) []baseline.Shape {
	if round%2 == 1 {
		return []baseline.Shape{baseline.ShapeLink, baseline.ShapeFull}
	}
	return []baseline.Shape{baseline.ShapeFull, baseline.ShapeLink}
}

// perMessage measures the faithful per-message baseline of one shape.
func (r *runner) perMessage(ctx context.Context, round int, fs faithfulStores, shape baseline.Shape, name string, ser *series) error {
	table := fmt.Sprintf("bench_full_r%d", round)
	if shape == baseline.ShapeLink {
		table = fmt.Sprintf("bench_link_r%d", round)
	}
	if _, err := fs.pool.Exec(ctx, baseline.PostgresDDL(table, shape)); err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	conn := r.st.ClickHouse()
	if err := conn.Exec(ctx, baseline.ClickHouseDDL(fs.chDB, table, shape)); err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	r.log.Info("per-message baseline", "name", name, "sample", r.cfg.PerMessageSample, "cap", r.cfg.PerMessageCap)
	pm := mark()
	n, d, err := baseline.PerMessage(ctx, baseline.PerMessageConfig{
		Brokers: r.st.Config().KafkaBrokers, Topic: r.prefilled, Group: stack.UniqueName("bench_permsg"),
		Limit: r.cfg.PerMessageSample, MaxDuration: r.cfg.PerMessageCap,
		Progress: func(n int) { r.log.Debug("per-message", "stored", n) },
	}, baseline.PostgresStore(fs.pool, table, shape), baseline.ClickHouseStore(conn, fs.chDB, table, shape))
	if err != nil {
		return fmt.Errorf("per-message baseline: %w", err)
	}
	r.recordPhase("4 "+name, pm)
	ser.add(name, report.KindBaseline, "messages/s", report.NewRun(int64(n), d))
	return nil
}

// e2eRound runs Footprint end to end on fresh resources: the maximum rate,
// then the latency phases.
func (r *runner) e2eRound(ctx context.Context, round int, ser *series) ([]report.Latency, error) {
	topic, err := r.st.NewTopic(ctx, "bench_e2e", r.cfg.Partitions)
	if err != nil {
		return nil, err
	}
	url, pool, err := r.newPostgresDB(ctx, "bench_e2e")
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	db, err := r.st.NewClickHouseDB(ctx, "bench_e2e")
	if err != nil {
		return nil, err
	}
	grpcAddr, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	coll, err := r.start(ctx, svc.Collector, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": topic, "FOOTPRINT_COLLECTOR_GRPC_ADDR": grpcAddr, "FOOTPRINT_COLLECTOR_API_KEYS": benchKey + "=" + benchSite,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = coll.Stop(30 * time.Second) }()
	pw, err := r.start(ctx, svc.PGWriter, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": topic, "FOOTPRINT_WRITER_GROUP": stack.UniqueName("bench_e2e_pg"), "FOOTPRINT_PG_URL": url,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = pw.Stop(30 * time.Second) }()
	cw, err := r.start(ctx, svc.CHWriter, r.chWriterEnv(topic, "bench_e2e_ch", db))
	if err != nil {
		return nil, err
	}
	defer func() { _ = cw.Stop(30 * time.Second) }()
	pg, closePG, err := openPGStore(ctx, url)
	if err != nil {
		return nil, err
	}
	defer closePG()
	ch, closeCH, err := openCHStore(ctx, r.st.Config().ClickHouseAddr, db)
	if err != nil {
		return nil, err
	}
	defer closeCH()
	procs := []*svc.Process{coll, pw, cw}

	maxRate, err := r.e2eMaxRate(ctx, grpcAddr, pg, ch, procs, ser)
	if err != nil {
		return nil, err
	}
	var out []report.Latency
	var errs []error
	for _, pct := range []int{50, 90} {
		lats, err := r.latencyPhase(ctx, grpcAddr, pct, maxRate, pg, ch, procs, round)
		if err != nil {
			errs = append(errs, fmt.Errorf("latency at %d%%: %w", pct, err))
		}
		out = append(out, lats...)
	}
	return out, errors.Join(errs...)
}

// e2eMaxRate drives the collector with streaming clients and the largest
// batch, waits until both stores hold every acknowledged event and returns
// the sustained rate.
func (r *runner) e2eMaxRate(ctx context.Context, grpcAddr string, pg, ch store, procs []*svc.Process, ser *series) (float64, error) {
	maxBatch := 0
	for _, b := range r.cfg.BatchSizes {
		maxBatch = max(maxBatch, b)
	}
	for _, p := range procs {
		p.Mark()
	}
	pm := mark()
	r.log.Info("end to end at maximum rate", "events", r.cfg.E2EEvents, "cap", r.cfg.E2ECap)
	began := time.Now()
	res, err := load.Run(ctx, load.Config{
		Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: r.cfg.Clients, Batch: maxBatch, Stream: true,
		Window: r.cfg.StreamWindow, MaxEvents: int64(r.cfg.E2EEvents), MaxDuration: r.cfg.E2ECap, Seed: 4242,
	})
	if err != nil {
		return 0, fmt.Errorf("max-rate load: %w", err)
	}
	tPG, err := r.waitWritten(ctx, procs[1], pg, res.Acked, r.drainTimeout())
	if err != nil {
		return 0, err
	}
	tCH, err := r.waitWritten(ctx, procs[2], ch, res.Acked, r.drainTimeout())
	if err != nil {
		return 0, err
	}
	end := tPG
	if tCH.After(end) {
		end = tCH
	}
	for _, p := range procs {
		r.record(p, phaseE2EMax)
	}
	r.recordPhase(phaseE2EMax, pm)
	ser.add("end to end: ingest acknowledged", report.KindFootprint, "events/s", report.NewRun(res.Acked, res.Elapsed))
	ser.add("end to end: visible in PostgreSQL", report.KindFootprint, "events/s", report.NewRun(res.Acked, tPG.Sub(began)))
	ser.add("end to end: visible in ClickHouse", report.KindFootprint, "events/s", report.NewRun(res.Acked, tCH.Sub(began)))
	ser.add(mE2E, report.KindFootprint, "events/s", report.NewRun(res.Acked, end.Sub(began)))
	return stats.Rate(res.Acked, end.Sub(began)), nil
}

func (r *runner) latencyPhase(ctx context.Context, grpcAddr string, pct int, maxRate float64, pg, ch store, procs []*svc.Process, round int) ([]report.Latency, error) {
	rate := maxRate * float64(pct) / 100
	// About 20 batches per second per client keeps markers frequent.
	batch := int(rate / float64(r.cfg.Clients*20))
	batch = min(max(batch, 1), 1000)
	r.log.Info("latency phase", "load_percent", pct, "rate", int(rate), "batch", batch, "duration", r.cfg.LatencyDuration)
	since := time.Now().Add(-5 * time.Second)
	pollers := []*poller{newPoller(pg, since, 50*time.Millisecond), newPoller(ch, since, 50*time.Millisecond)}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, p := range pollers {
		go p.Run(pctx)
	}
	for _, p := range procs {
		p.Mark()
	}
	pm := mark()
	phase := fmt.Sprintf("4 latency at %d%%", pct)
	res, err := load.Run(ctx, load.Config{
		Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: r.cfg.Clients, Batch: batch,
		MaxDuration: r.cfg.LatencyDuration, Rate: rate, Seed: uint64(1000 + pct + 10*round),
		OnAck: func(id string, at time.Time) {
			for _, p := range pollers {
				p.Add(id, at)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("paced load: %w", err)
	}
	// Wait for every marker to show up (or give up after 60 s).
	deadline := time.Now().Add(60 * time.Second)
	for (pollers[0].Pending() > 0 || pollers[1].Pending() > 0) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	for _, p := range procs {
		r.record(p, phase)
	}
	r.recordPhase(phase, pm)
	var out []report.Latency
	var errs []error
	for _, p := range pollers {
		samples, missing, perr := p.Result()
		l := report.Latency{Name: "ack to visible", Store: p.store.Name(), LoadPercent: pct, TargetRate: rate,
			AchievedRate: stats.Rate(res.Acked, res.Elapsed), Latency: stats.Summarise(samples), Missing: missing}
		if pct == 50 {
			l.TargetP99Ms = latencyTargetMs
		}
		out = append(out, l)
		if missing > 0 {
			errs = append(errs, fmt.Errorf("%s: %d markers not visible after 60 s (last poll error: %v): %w", p.store.Name(), missing, perr, ErrIncomplete))
		}
	}
	return out, errors.Join(errs...)
}

// cpuPerEvent says where the CPU of phase went per acknowledged event, by
// process, and which rate the machine's cores allow at that cost: when the
// services, the stores and the load generator share the box, that bound,
// not any one component, sets the end-to-end rate.
func cpuPerEvent(res []report.Resource, phase string, runs []report.Run, cores int) string {
	var events int64
	for _, run := range runs {
		events += run.Count
	}
	var parts []string
	total := 0.0
	for _, x := range report.MergeResources(res) {
		if x.Phase != phase {
			continue
		}
		us := x.CPUSeconds / float64(events) * 1e6
		total += us
		parts = append(parts, fmt.Sprintf("%s %.1f", x.Process, us))
	}
	if events == 0 || total == 0 {
		return ""
	}
	return fmt.Sprintf("CPU per acknowledged event at maximum rate, all runs together, in microseconds: %s; %.1f in all, so %d cores allow at most %s events/s at this cost.",
		strings.Join(parts, ", "), total, cores, thousands(float64(cores)*1e6/total))
}
