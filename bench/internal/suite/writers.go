package suite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footprint/footprint/bench/internal/baseline"
	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stack"
	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/footprint/footprint/internal/sink"
)

// Phases of the writer drains in the resources table (the memory targets
// read them).
const (
	phasePGDrain = "2 pg-writer drain"
	phaseCHDrain = "3 ch-writer drain"
)

// pgWriter is scenario 2: per round, the pg-writer drains the pre-filled
// topic into a fresh database, then a raw COPY loads exactly the rows it
// stored into the same table.
func (r *runner) pgWriter(ctx context.Context, s *report.Scenario) error {
	if r.prefilled == "" {
		return errors.New("no pre-filled topic: scenario 1's raw producer did not run")
	}
	if _, ok := r.bins[svc.PGWriter]; !ok {
		return fmt.Errorf("%s: %w", svc.PGWriter, r.binErr[svc.PGWriter])
	}
	ser := newSeries()
	err := interleave(ctx, r.cfg.Repeats, []step{{name: mPGWriter + " and " + mPGRaw, run: func(ctx context.Context, round int) error {
		return r.pgRound(ctx, round, ser)
	}}}, r.stepDone)
	s.Measurements = ser.measurements()
	r.addRatio(s, "pg-writer / raw COPY", mPGWriter, mPGRaw, 0.85)
	return err
}

func (r *runner) pgRound(ctx context.Context, round int, ser *series) error {
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
	prof := r.profileFirst(ctx, round, w, "pg-writer.prof")
	pgSt, closePG, err := openPGStore(ctx, url)
	if err != nil {
		r.stop(w, phasePGDrain)
		return err
	}
	defer closePG()
	ended, err := r.waitWritten(ctx, w, pgSt, n, r.drainTimeout())
	<-prof
	r.stop(w, phasePGDrain)
	if err != nil {
		return err
	}
	r.recordPhase(phasePGDrain, pm)
	ser.add(mPGWriter, report.KindFootprint, "rows/s", report.NewRun(n, ended.Sub(began)))

	table, err := baseline.FindPGTable(ctx, pool, "events")
	if err != nil {
		return err
	}
	r.log.Info("raw COPY of the same rows")
	pm = mark()
	rows, d, err := baseline.PGReload(ctx, pool, table)
	if err != nil {
		return fmt.Errorf("raw copy: %w", err)
	}
	r.recordPhase("2 raw COPY (incl. COPY TO read-back)", pm)
	ser.add(mPGRaw, report.KindBaseline, "rows/s", report.NewRun(rows, d))
	return nil
}

// chWriter is scenario 3: per round, the ch-writer drains the pre-filled
// topic into a fresh database, then a raw native insert loads exactly the
// rows it stored into a table of the same definition.
func (r *runner) chWriter(ctx context.Context, s *report.Scenario) error {
	if r.prefilled == "" {
		return errors.New("no pre-filled topic: scenario 1's raw producer did not run")
	}
	if _, ok := r.bins[svc.CHWriter]; !ok {
		return fmt.Errorf("%s: %w", svc.CHWriter, r.binErr[svc.CHWriter])
	}
	ser := newSeries()
	err := interleave(ctx, r.cfg.Repeats, []step{{name: mCHWriter + " and " + mCHRaw, run: func(ctx context.Context, round int) error {
		return r.chRound(ctx, round, ser)
	}}}, r.stepDone)
	s.Measurements = ser.measurements()
	r.addRatio(s, "ch-writer / raw native insert", mCHWriter, mCHRaw, 0.8)
	return err
}

func (r *runner) chRound(ctx context.Context, round int, ser *series) error {
	db, err := r.st.NewClickHouseDB(ctx, "bench_ch")
	if err != nil {
		return err
	}
	n := int64(r.cfg.Events)
	w, err := r.start(ctx, svc.CHWriter, r.chWriterEnv(r.prefilled, "bench_ch_writer", db))
	if err != nil {
		return err
	}
	w.Mark()
	pm := mark()
	began := time.Now()
	prof := r.profileFirst(ctx, round, w, "ch-writer.prof")
	chSt, closeCH, err := openCHStore(ctx, r.st.Config().ClickHouseAddr, db)
	if err != nil {
		r.stop(w, phaseCHDrain)
		return err
	}
	defer closeCH()
	ended, err := r.waitWritten(ctx, w, chSt, n, r.drainTimeout())
	<-prof
	r.stop(w, phaseCHDrain)
	if err != nil {
		return err
	}
	r.recordPhase(phaseCHDrain, pm)
	ser.add(mCHWriter, report.KindFootprint, "rows/s", report.NewRun(n, ended.Sub(began)))

	r.log.Info("raw native insert of the same rows")
	conn := r.st.ClickHouse()
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
	ser.add(mCHRaw, report.KindBaseline, "rows/s", report.NewRun(int64(cols.Rows), d))
	return nil
}

// chWriterEnv is the ch-writer's environment for topic and database db.
func (r *runner) chWriterEnv(topic, groupPrefix, db string) map[string]string {
	return map[string]string{
		"FOOTPRINT_KAFKA_TOPIC":  topic,
		"FOOTPRINT_WRITER_GROUP": stack.UniqueName(groupPrefix),
		"FOOTPRINT_CH_ADDR":      r.st.Config().ClickHouseAddr,
		"FOOTPRINT_CH_DATABASE":  db,
		"FOOTPRINT_CH_USER":      "default",
		"FOOTPRINT_CH_PASSWORD":  "",
	}
}

// profileFirst profiles p in the first round only.
func (r *runner) profileFirst(ctx context.Context, round int, p *svc.Process, file string) <-chan struct{} {
	if round > 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	return r.profile(ctx, p, file, r.cfg.ProfileSeconds)
}
