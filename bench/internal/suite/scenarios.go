package suite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footprint/footprint/bench/internal/baseline"
	"github.com/footprint/footprint/bench/internal/load"
	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stack"
	"github.com/footprint/footprint/bench/internal/stats"
	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/footprint/footprint/internal/sink"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrIncomplete is returned when a store does not reach the expected row
// count before the deadline.
var ErrIncomplete = errors.New("store did not receive every event in time")

func variantName(batch int, stream bool) string {
	if stream {
		return fmt.Sprintf("collector stream, batch %d", batch)
	}
	return fmt.Sprintf("collector unary, batch %d", batch)
}

// collectorIngest is scenario 1. It first runs the raw producer, which also
// pre-fills the topic scenarios 2 and 3 drain.
func (r *runner) collectorIngest(ctx context.Context, s *report.Scenario) error {
	topic, err := r.st.NewTopic(ctx, "bench_prefill", r.cfg.Partitions)
	if err != nil {
		return err
	}
	r.log.Info("raw producer", "events", len(r.msgs), "topic", topic)
	pm := mark()
	timed, d, err := baseline.Produce(ctx, baseline.ProducerConfig{
		Brokers: r.st.Config().KafkaBrokers, Topic: topic, Compression: r.cfg.Compression, LingerMs: r.cfg.LingerMs,
		Progress: func(n int) { r.log.Info("raw producer progress", "acked", n, "of", len(r.msgs)) },
	}, r.msgs)
	if err != nil {
		return fmt.Errorf("raw producer: %w", err)
	}
	r.recordPhase("1 raw producer", pm)
	r.prefilled = topic
	s.Measurements = append(s.Measurements, report.NewMeasurement(mRawProducer, report.KindBaseline, "events/s", int64(timed), d))

	ctopic, err := r.st.NewTopic(ctx, "bench_ingest", r.cfg.Partitions)
	if err != nil {
		return err
	}
	grpcAddr, err := svc.FreePort()
	if err != nil {
		return err
	}
	coll, err := r.start(ctx, svc.Collector, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC":         ctopic,
		"FOOTPRINT_COLLECTOR_GRPC_ADDR": grpcAddr,
		"FOOTPRINT_COLLECTOR_API_KEYS":  benchKey + "=" + benchSite,
	})
	if err != nil {
		return err
	}
	defer func() { _ = coll.Stop(30 * time.Second) }()
	maxBatch := 0
	for _, b := range r.cfg.BatchSizes {
		maxBatch = max(maxBatch, b)
	}
	var errs []error
	for _, batch := range r.cfg.BatchSizes {
		for _, stream := range []bool{false, true} {
			name := variantName(batch, stream)
			r.log.Info("collector variant", "name", name, "cap", r.cfg.IngestCap)
			coll.Mark()
			pm := mark()
			var prof <-chan struct{}
			if stream && batch == maxBatch {
				prof = r.profile(ctx, coll, "collector.prof", min(r.cfg.ProfileSeconds, int(r.cfg.IngestCap.Seconds())))
			}
			res, err := load.Run(ctx, load.Config{
				Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: r.cfg.Clients, Batch: batch, Stream: stream,
				Window: r.cfg.StreamWindow, MaxEvents: int64(r.cfg.Events), MaxDuration: r.cfg.IngestCap, Seed: uint64(batch),
			})
			if prof != nil {
				<-prof
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			r.record(coll, "1 "+name)
			r.recordPhase("1 "+name, pm)
			s.Measurements = append(s.Measurements, report.NewMeasurement(name, report.KindFootprint, "events/s", res.Acked, res.Elapsed))
		}
	}
	for _, batch := range r.cfg.BatchSizes {
		for _, stream := range []bool{false, true} {
			target := 0.0
			if batch >= 100 {
				target = 0.8
			}
			name := variantName(batch, stream)
			r.addRatio(s, name+" / raw producer", name, mRawProducer, target)
		}
	}
	s.Notes = append(s.Notes, fmt.Sprintf("Each collector variant runs until %d events are acknowledged or %v pass; %d clients, each on its own connection; streams keep %d batches in flight. The raw producer sends the same encoded events (the collector's output: enriched, with the wire headers) straight to a topic.", r.cfg.Events, r.cfg.IngestCap, r.cfg.Clients, r.cfg.StreamWindow))
	return errors.Join(errs...)
}

// waitWritten waits until the writer's written counter reaches n and the
// store holds n rows, printing progress. It returns when the counter
// reached n (the drain's end).
func (r *runner) waitWritten(ctx context.Context, p *svc.Process, metric string, st store, n int64, timeout time.Duration) (time.Time, error) {
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

// pgWriter is scenario 2.
func (r *runner) pgWriter(ctx context.Context, s *report.Scenario) error {
	if r.prefilled == "" {
		return errors.New("no pre-filled topic: scenario 1's raw producer did not run")
	}
	if _, ok := r.bins[svc.PGWriter]; !ok {
		return fmt.Errorf("%s: %w", svc.PGWriter, r.binErr[svc.PGWriter])
	}
	url, pool, err := r.newPostgresDB(ctx, "bench_pg")
	if err != nil {
		return err
	}
	defer pool.Close()
	n := int64(r.cfg.Events)
	w, err := r.start(ctx, svc.PGWriter, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC":  r.prefilled,
		"FOOTPRINT_WRITER_GROUP": stack.UniqueName("bench_pg_writer"),
		"FOOTPRINT_PG_URL":       url,
	})
	if err != nil {
		return err
	}
	w.Mark()
	pm := mark()
	began := time.Now()
	prof := r.profile(ctx, w, "pg-writer.prof", r.cfg.ProfileSeconds)
	table, err := baseline.FindPGTable(ctx, pool, "events")
	if err != nil {
		r.stop(w, "2 pg-writer drain")
		return err
	}
	pgSt, closePG, err := openPGStore(ctx, url)
	if err != nil {
		r.stop(w, "2 pg-writer drain")
		return err
	}
	defer closePG()
	ended, err := r.waitWritten(ctx, w, "footprint_writer_written_total", pgSt, n, r.drainTimeout())
	<-prof
	r.stop(w, "2 pg-writer drain")
	if err != nil {
		return err
	}
	r.recordPhase("2 pg-writer drain", pm)
	s.Measurements = append(s.Measurements, report.NewMeasurement(mPGWriter, report.KindFootprint, "rows/s", n, ended.Sub(began)))

	r.log.Info("raw COPY of the same rows")
	pm = mark()
	rows, d, err := baseline.PGReload(ctx, pool, table)
	if err != nil {
		return fmt.Errorf("raw copy: %w", err)
	}
	r.recordPhase("2 raw COPY (incl. COPY TO read-back)", pm)
	s.Measurements = append(s.Measurements, report.NewMeasurement(mPGRaw, report.KindBaseline, "rows/s", rows, d))

	if _, err := pool.Exec(ctx, baseline.PostgresDDL); err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	if err := r.perMessage(ctx, s, "2 per-message baseline (PostgreSQL)", mPGPerMsg, "bench_pg_permsg", baseline.PostgresStore(pool)); err != nil {
		return err
	}
	r.addRatio(s, "pg-writer / raw COPY", mPGWriter, mPGRaw, 0.8)
	r.addRatio(s, "pg-writer / per-message", mPGWriter, mPGPerMsg, 0)
	return nil
}

// perMessage measures the original system's design (consume one message,
// INSERT it, commit its offset) on a sample of the pre-filled topic, as the
// measurement id in phase.
func (r *runner) perMessage(ctx context.Context, s *report.Scenario, phase, id, groupPrefix string, store baseline.StoreFunc) error {
	r.log.Info(phase, "sample", r.cfg.PerMessageSample)
	pm := mark()
	cnt, d, err := baseline.PerMessage(ctx, baseline.PerMessageConfig{
		Brokers: r.st.Config().KafkaBrokers, Topic: r.prefilled, Group: stack.UniqueName(groupPrefix),
		Limit: r.cfg.PerMessageSample, MaxDuration: r.cfg.PerMessageCap,
		Progress: func(n int) { r.log.Debug("per-message", "stored", n) },
	}, store)
	if err != nil {
		return fmt.Errorf("per-message baseline: %w", err)
	}
	r.recordPhase(phase, pm)
	m := report.NewMeasurement(id, report.KindBaseline, "rows/s", int64(cnt), d)
	m.Note = "sample"
	s.Measurements = append(s.Measurements, m)
	return nil
}

// chWriter is scenario 3.
func (r *runner) chWriter(ctx context.Context, s *report.Scenario) error {
	if r.prefilled == "" {
		return errors.New("no pre-filled topic: scenario 1's raw producer did not run")
	}
	if _, ok := r.bins[svc.CHWriter]; !ok {
		return fmt.Errorf("%s: %w", svc.CHWriter, r.binErr[svc.CHWriter])
	}
	db, err := r.st.NewClickHouseDB(ctx, "bench_ch")
	if err != nil {
		return err
	}
	conn := r.st.ClickHouse()
	n := int64(r.cfg.Events)
	w, err := r.start(ctx, svc.CHWriter, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC":  r.prefilled,
		"FOOTPRINT_WRITER_GROUP": stack.UniqueName("bench_ch_writer"),
		"FOOTPRINT_CH_ADDR":      r.st.Config().ClickHouseAddr,
		"FOOTPRINT_CH_DATABASE":  db,
		"FOOTPRINT_CH_USER":      "default",
		"FOOTPRINT_CH_PASSWORD":  "",
	})
	if err != nil {
		return err
	}
	w.Mark()
	pm := mark()
	began := time.Now()
	prof := r.profile(ctx, w, "ch-writer.prof", r.cfg.ProfileSeconds)
	chSt, closeCH, err := openCHStore(ctx, r.st.Config().ClickHouseAddr, db)
	if err != nil {
		r.stop(w, "3 ch-writer drain")
		return err
	}
	defer closeCH()
	ended, err := r.waitWritten(ctx, w, "footprint_writer_written_total", chSt, n, r.drainTimeout())
	<-prof
	r.stop(w, "3 ch-writer drain")
	if err != nil {
		return err
	}
	r.recordPhase("3 ch-writer drain", pm)
	s.Measurements = append(s.Measurements, report.NewMeasurement(mCHWriter, report.KindFootprint, "rows/s", n, ended.Sub(began)))

	r.log.Info("raw native insert of the same rows")
	cols, err := baseline.CHReadBack(ctx, conn, db, "events")
	if err != nil {
		return err
	}
	batch := r.cfg.WriterBatchEvents
	if batch <= 0 {
		batch = sink.DefaultConfig("").BatchMaxEvents
	}
	pm = mark()
	d, err := baseline.CHReload(ctx, conn, db, "events", cols, batch)
	if err != nil {
		return fmt.Errorf("raw insert: %w", err)
	}
	r.recordPhase("3 raw native insert", pm)
	s.Measurements = append(s.Measurements, report.NewMeasurement(mCHRaw, report.KindBaseline, "rows/s", int64(cols.Rows), d))

	if err := conn.Exec(ctx, fmt.Sprintf(baseline.ClickHouseDDL, db)); err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	if err := r.perMessage(ctx, s, "3 per-message baseline (ClickHouse)", mCHPerMsg, "bench_ch_permsg", baseline.ClickHouseStore(conn, db)); err != nil {
		return err
	}
	r.addRatio(s, "ch-writer / raw native insert", mCHWriter, mCHRaw, 0.8)
	r.addRatio(s, "ch-writer / per-message", mCHWriter, mCHPerMsg, 0)
	return nil
}

// endToEnd is scenario 4.
func (r *runner) endToEnd(ctx context.Context, s *report.Scenario) error {
	for _, name := range []string{svc.Collector, svc.PGWriter, svc.CHWriter} {
		if _, ok := r.bins[name]; !ok {
			return fmt.Errorf("%s: %w", name, r.binErr[name])
		}
	}
	topic, err := r.st.NewTopic(ctx, "bench_e2e", r.cfg.Partitions)
	if err != nil {
		return err
	}
	url, pool, err := r.newPostgresDB(ctx, "bench_e2e")
	if err != nil {
		return err
	}
	defer pool.Close()
	db, err := r.st.NewClickHouseDB(ctx, "bench_e2e")
	if err != nil {
		return err
	}
	grpcAddr, err := svc.FreePort()
	if err != nil {
		return err
	}
	coll, err := r.start(ctx, svc.Collector, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": topic, "FOOTPRINT_COLLECTOR_GRPC_ADDR": grpcAddr, "FOOTPRINT_COLLECTOR_API_KEYS": benchKey + "=" + benchSite,
	})
	if err != nil {
		return err
	}
	defer func() { _ = coll.Stop(30 * time.Second) }()
	pw, err := r.start(ctx, svc.PGWriter, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": topic, "FOOTPRINT_WRITER_GROUP": stack.UniqueName("bench_e2e_pg"), "FOOTPRINT_PG_URL": url,
	})
	if err != nil {
		return err
	}
	defer func() { _ = pw.Stop(30 * time.Second) }()
	cw, err := r.start(ctx, svc.CHWriter, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": topic, "FOOTPRINT_WRITER_GROUP": stack.UniqueName("bench_e2e_ch"),
		"FOOTPRINT_CH_ADDR": r.st.Config().ClickHouseAddr, "FOOTPRINT_CH_DATABASE": db, "FOOTPRINT_CH_USER": "default", "FOOTPRINT_CH_PASSWORD": "",
	})
	if err != nil {
		return err
	}
	defer func() { _ = cw.Stop(30 * time.Second) }()
	pg, closePG, err := openPGStore(ctx, url)
	if err != nil {
		return err
	}
	defer closePG()
	ch, closeCH, err := openCHStore(ctx, r.st.Config().ClickHouseAddr, db)
	if err != nil {
		return err
	}
	defer closeCH()
	procs := []*svc.Process{coll, pw, cw}

	// Maximum rate: streaming clients with the largest batch, then wait until
	// both stores hold every acknowledged event.
	maxBatch := 0
	for _, b := range r.cfg.BatchSizes {
		maxBatch = max(maxBatch, b)
	}
	for _, p := range procs {
		p.Mark()
	}
	pm := mark()
	r.log.Info("end to end at maximum rate", "events", r.cfg.E2EEvents, "cap", r.cfg.IngestCap)
	began := time.Now()
	res, err := load.Run(ctx, load.Config{
		Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: r.cfg.Clients, Batch: maxBatch, Stream: true,
		Window: r.cfg.StreamWindow, MaxEvents: int64(r.cfg.E2EEvents), MaxDuration: r.cfg.IngestCap, Seed: 4242,
	})
	if err != nil {
		return fmt.Errorf("max-rate load: %w", err)
	}
	tPG, err := r.waitWritten(ctx, pw, "footprint_writer_written_total", pg, res.Acked, r.drainTimeout())
	if err != nil {
		return err
	}
	tCH, err := r.waitWritten(ctx, cw, "footprint_writer_written_total", ch, res.Acked, r.drainTimeout())
	if err != nil {
		return err
	}
	end := tPG
	if tCH.After(end) {
		end = tCH
	}
	for _, p := range procs {
		r.record(p, "4 end to end, max rate")
	}
	r.recordPhase("4 end to end, max rate", pm)
	s.Measurements = append(s.Measurements,
		report.NewMeasurement("end to end: ingest acknowledged", report.KindFootprint, "events/s", res.Acked, res.Elapsed),
		report.NewMeasurement("end to end: visible in PostgreSQL", report.KindFootprint, "events/s", res.Acked, tPG.Sub(began)),
		report.NewMeasurement("end to end: visible in ClickHouse", report.KindFootprint, "events/s", res.Acked, tCH.Sub(began)),
		report.NewMeasurement(mE2E, report.KindFootprint, "events/s", res.Acked, end.Sub(began)),
	)
	perMsg := r.slowerPerMessage()
	if perMsg.Name != "" {
		perMsg.Name = mE2EPerMsg
		perMsg.Note = "from scenarios 2 and 3"
		s.Measurements = append(s.Measurements, perMsg)
	}
	r.addRatio(s, "end to end / per-message baseline", mE2E, mE2EPerMsg, 300)
	maxRate := stats.Rate(res.Acked, end.Sub(began))

	// Latency at about half and 90% of that rate.
	var errs []error
	for _, pct := range []int{50, 90} {
		lats, err := r.latencyPhase(ctx, grpcAddr, pct, maxRate, pg, ch, procs)
		if err != nil {
			errs = append(errs, fmt.Errorf("latency at %d%%: %w", pct, err))
		}
		s.Latencies = append(s.Latencies, lats...)
	}
	s.Notes = append(s.Notes, fmt.Sprintf("Latency runs are paced (open loop) unary Ingest calls; the first event of every batch is a marker whose id is polled in each store every 50 ms, so a latency is late by at most one poll interval plus one query. The writers' batch wait (%v by default) bounds the latency from below under light load.", sink.DefaultConfig("").BatchMaxWait))
	return errors.Join(errs...)
}

// slowerPerMessage returns the slower per-message baseline measurement.
func (r *runner) slowerPerMessage() report.Measurement {
	var out report.Measurement
	for _, name := range []string{mPGPerMsg, mCHPerMsg} {
		if m, ok := r.rep.Find(name); ok && (out.Name == "" || m.Rate < out.Rate) {
			out = m
		}
	}
	return out
}

func (r *runner) latencyPhase(ctx context.Context, grpcAddr string, pct int, maxRate float64, pg, ch store, procs []*svc.Process) ([]report.Latency, error) {
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
		MaxDuration: r.cfg.LatencyDuration, Rate: rate, Seed: uint64(1000 + pct),
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
			AchievedRate: stats.Rate(res.Acked, res.Elapsed), Latency: stats.Summarise(samples)}
		if pct == 50 {
			l.TargetP99Ms = 2000
			met := l.Latency.Count > 0 && missing == 0 && l.Latency.P99Ms <= l.TargetP99Ms
			l.Met = &met
		}
		out = append(out, l)
		if missing > 0 {
			errs = append(errs, fmt.Errorf("%s: %d markers not visible after 60 s (last poll error: %v): %w", p.store.Name(), missing, perr, ErrIncomplete))
		}
	}
	return out, errors.Join(errs...)
}
