package suite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/footprint/footprint/bench/internal/gen"
	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/stack"
	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/footprint/footprint/internal/procstat"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/internal/testenv"
)

// Site and key the benchmark clients use.
const (
	benchSite = "bench"
	benchKey  = "bench-key"
)

// Names of the measurements ratios refer to.
const (
	mRawProducer = "raw producer (confluent-kafka-go)"
	mPGWriter    = "pg-writer drain"
	mPGRaw       = "raw COPY (PostgreSQL)"
	mCHWriter    = "ch-writer drain"
	mCHRaw       = "raw native insert (ClickHouse)"
	mE2E         = "end to end, both stores"
	mPerMsgFull  = "per-message baseline, both stores, full row"
	mPerMsgLink  = "per-message baseline, both stores, link row (link, method, time)"
)

type runner struct {
	cfg    Config
	log    *slog.Logger
	st     *stack.Stack
	root   string
	binDir string
	logDir string
	bins   map[string]string
	binErr map[string]error
	rep    *report.Report
	msgs   []gen.Message
	// prefilled is the topic the raw producer filled; the writer drains and
	// per-message baselines read it.
	prefilled string
	res       []report.Resource
}

// Run executes every scenario and returns the report (also when some
// scenarios failed: they are marked in it). The error is for what makes the
// whole run meaningless (stack unreachable, bad config).
func Run(ctx context.Context, cfg Config, logger *slog.Logger) (*report.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, root, err := stack.OpenForRun(ctx, cfg.Keep)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tmp, err := os.MkdirTemp("", "footprint-bench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	r := &runner{cfg: cfg, log: logger, st: st, root: root, binDir: filepath.Join(tmp, "bin"), logDir: filepath.Join(tmp, "logs"),
		bins: map[string]string{}, binErr: map[string]error{}}
	r.buildEcho(ctx)
	for _, d := range []string{r.binDir, r.logDir, cfg.Out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	if cfg.Keep {
		// Service logs are worth keeping with the resources, outside the
		// results folder so they are never committed.
		r.logDir, err = os.MkdirTemp("", "footprint-bench-logs-")
		if err != nil {
			return nil, fmt.Errorf("log dir: %w", err)
		}
		logger.Info("service logs kept", "dir", r.logDir)
	}
	start := time.Now()
	r.rep = &report.Report{Mode: cfg.Mode, Command: cfg.Command, Started: start}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := st.Cleanup(cctx); err != nil {
			logger.Warn("cleanup", "err", err)
		}
	}()
	r.setup(ctx)
	r.build(ctx)

	logger.Info("generating events", "events", cfg.Events)
	g := gen.New(gen.Config{Sites: []string{benchSite}, Seed: uint64(start.UnixNano()), Enriched: true})
	r.msgs, err = g.Encoded(cfg.Events)
	if err != nil {
		return nil, err
	}
	r.rep.Setup.EventBytes = gen.MeanSize(r.msgs)

	// Scenario 1's raw producer fills the topic that scenarios 2 and 3
	// drain and scenario 4's per-message baselines read.
	if !cfg.runs("1") {
		r.prefill(ctx)
	}
	r.scenario(ctx, "1", "Collector ingest (events/s acknowledged over gRPC)", r.collectorIngest)
	r.scenario(ctx, "2", "pg-writer drain into PostgreSQL (rows/s)", r.pgWriter)
	r.scenario(ctx, "3", "ch-writer drain into ClickHouse (rows/s)", r.chWriter)
	r.msgs = nil // the pre-filled events are no longer needed
	runtime.GC()
	r.scenario(ctx, "4", "End to end: Ingest to both stores", r.endToEnd)
	r.rep.Scenarios = append(r.rep.Scenarios, r.resources())
	r.rep.Targets = evaluateTargets(r.rep, r.cfg, r.res)

	r.rep.WallSeconds = time.Since(start).Seconds()
	r.notes()
	return r.rep, nil
}

func (r *runner) setup(ctx context.Context) {
	v := r.st.Versions(ctx, r.root)
	def := sink.DefaultConfig("")
	batch := fmt.Sprintf("writers' defaults (internal/sink: %d events / %d MiB / %v)", def.BatchMaxEvents, def.BatchMaxBytes>>20, def.BatchMaxWait)
	if r.cfg.WriterBatchEvents > 0 || r.cfg.WriterBatchWait > 0 {
		batch = fmt.Sprintf("max %d events, max wait %v", r.cfg.WriterBatchEvents, r.cfg.WriterBatchWait)
	}
	r.rep.Setup = report.Setup{
		CPUModel: stack.CPUModel(), Cores: runtime.NumCPU(), LoadAvgAtStart: stack.LoadAvg(), GoVersion: runtime.Version(),
		KafkaVersion: v.Kafka, LibrdkafkaVersion: v.Librdkafka, PostgresVersion: v.Postgres, ClickHouseVersion: v.ClickHouse,
		Events: r.cfg.Events, Partitions: r.cfg.Partitions,
		Compression: fmt.Sprintf("%s, linger %d ms, acks=all, idempotent (collector and raw producer alike)", r.cfg.Compression, r.cfg.LingerMs),
		Clients:     r.cfg.Clients,
		ClientPlan: fmt.Sprintf("batch 1000: %d clients, batch 100: %d clients, batch 1 (unary): %d clients; end to end: %d clients",
			r.cfg.Clients, r.cfg.Clients100, r.cfg.UnaryClients, r.cfg.Clients),
		BatchSizes:       r.cfg.BatchSizes,
		Repeats:          r.cfg.Repeats,
		WriterBatch:      batch,
		PerMessageSample: r.cfg.PerMessageSample,
		PhaseCapSeconds:  r.cfg.IngestCap.Seconds(),
	}
}

func (r *runner) build(ctx context.Context) {
	for _, name := range []string{svc.Collector, svc.PGWriter, svc.CHWriter} {
		r.log.Info("building service", "name", name)
		bin, err := svc.Build(ctx, r.root, r.binDir, name)
		if err != nil {
			r.log.Warn("service not available", "name", name, "err", err)
			r.binErr[name] = err
			continue
		}
		r.bins[name] = bin
	}
}

// buildEcho builds the bare gRPC echo server (bench/cmd/footprint-echo).
func (r *runner) buildEcho(ctx context.Context) {
	bin, err := svc.BuildDir(ctx, filepath.Join(r.root, "bench", "cmd", svc.Echo), r.binDir, svc.Echo)
	if err != nil {
		r.log.Warn("echo server not available", "err", err)
		r.binErr[svc.Echo] = err
		return
	}
	r.bins[svc.Echo] = bin
}

// prefill fills the topic the later scenarios read with the raw producer,
// unreported, when scenario 1 (which measures it) is not selected.
func (r *runner) prefill(ctx context.Context) {
	r.log.Info("pre-filling the drain topic (scenario 1 not selected)", "events", len(r.msgs))
	if err := r.rawProducer(ctx, 0, newSeries()); err != nil {
		r.log.Error("pre-fill", "err", err)
	}
}

// scenario runs fn if id is selected and records its outcome; a failed
// scenario does not stop the others.
func (r *runner) scenario(ctx context.Context, id, title string, fn func(context.Context, *report.Scenario) error) {
	if !r.cfg.runs(id) {
		return
	}
	r.log.Info("scenario", "id", id, "title", title)
	s := report.Scenario{ID: id, Title: title, Status: report.StatusOK}
	began := time.Now()
	if err := fn(ctx, &s); err != nil {
		s.Status = report.StatusFailed
		if errors.Is(err, svc.ErrNotBuilt) {
			s.Status = report.StatusSkipped
		}
		s.Error = err.Error()
		r.log.Error("scenario did not complete", "id", id, "err", err)
	}
	s.WallSeconds = time.Since(began).Seconds()
	r.log.Info("scenario done", "id", id, "seconds", s.WallSeconds)
	r.rep.Scenarios = append(r.rep.Scenarios, s)
}

// addRatio adds a ratio to s, looking measurements up in the finished
// scenarios and in s itself.
func (r *runner) addRatio(s *report.Scenario, name, measured, baseline string, target float64) {
	// AddRatio finds measurements in r.rep; s is not in it yet.
	tmp := *r.rep
	tmp.Scenarios = append(append([]report.Scenario(nil), r.rep.Scenarios...), *s)
	tmp.AddRatio(s, name, measured, baseline, target)
}

func (r *runner) start(ctx context.Context, name string, env map[string]string) (*svc.Process, error) {
	bin, ok := r.bins[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, r.binErr[name])
	}
	admin, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	full := map[string]string{
		"FOOTPRINT_KAFKA_BROKERS": r.st.Config().KafkaBrokers,
		"FOOTPRINT_ADMIN_ADDR":    admin,
		"FOOTPRINT_LOG_LEVEL":     "warn",
	}
	if r.cfg.Profile {
		// --profile reads /debug/pprof/profile, which is off unless enabled.
		full["FOOTPRINT_ADMIN_PPROF"] = "true"
	}
	if name == svc.Collector {
		// The bench drives gRPC only; the browser endpoint's default port
		// may be taken by a running stack.
		full["FOOTPRINT_COLLECTOR_HTTP_ADDR"] = "off"
	} else {
		if r.cfg.WriterBatchEvents > 0 {
			full["FOOTPRINT_WRITER_BATCH_MAX_EVENTS"] = fmt.Sprint(r.cfg.WriterBatchEvents)
		}
		if r.cfg.WriterBatchWait > 0 {
			full["FOOTPRINT_WRITER_BATCH_MAX_WAIT"] = r.cfg.WriterBatchWait.String()
		}
	}
	for k, v := range env {
		full[k] = v
	}
	for _, kv := range r.cfg.ServiceEnv {
		if k, v, ok := strings.Cut(kv, "="); ok {
			full[k] = v
		}
	}
	r.log.Info("starting service", "name", name)
	return svc.Start(ctx, name, bin, full, r.logDir, r.log)
}

// stop stops p and records its usage for the phase.
func (r *runner) stop(p *svc.Process, phase string) {
	if p == nil {
		return
	}
	r.record(p, phase)
	if err := p.Stop(30 * time.Second); err != nil {
		r.log.Warn("stop service", "name", p.Name, "err", err)
	}
}

// record appends p's usage since its last Mark to the resources table.
func (r *runner) record(p *svc.Process, phase string) {
	u, wall, err := p.Since()
	if err != nil {
		r.log.Warn("read usage", "name", p.Name, "err", err)
		return
	}
	r.res = append(r.res, report.Resource{Phase: phase, Process: p.Name, PeakRSSMB: u.PeakRSSMB, CPUSeconds: u.CPUSeconds, WallSecond: wall.Seconds()})
}

// recordSelf appends the bench process's own usage (load generator,
// baselines) for a phase.
func (r *runner) recordSelf(phase string, before procstat.Usage, wall time.Duration) {
	u, err := procstat.Read(os.Getpid())
	if err != nil {
		return
	}
	r.res = append(r.res, report.Resource{Phase: phase, Process: "footprint-bench (clients, baselines)", PeakRSSMB: u.PeakRSSMB,
		CPUSeconds: u.CPUSeconds - before.CPUSeconds, WallSecond: wall.Seconds()})
}

// phaseMark remembers the CPU used so far by the bench process and the
// stack's servers.
type phaseMark struct {
	at    time.Time
	self  procstat.Usage
	infra map[string]procstat.Usage
}

func mark() phaseMark {
	return phaseMark{at: time.Now(), self: selfUsage(), infra: svc.InfraUsage()}
}

// recordPhase appends the bench process's and the servers' usage since m.
func (r *runner) recordPhase(phase string, m phaseMark) {
	wall := time.Since(m.at)
	r.recordSelf(phase, m.self, wall)
	now := svc.InfraUsage()
	for _, in := range svc.Infra {
		u, ok := now[in.Name]
		// A server idle in this phase would only lengthen the table.
		if !ok || u.CPUSeconds-m.infra[in.Name].CPUSeconds < 0.05 {
			continue
		}
		r.res = append(r.res, report.Resource{Phase: phase, Process: in.Name, PeakRSSMB: u.PeakRSSMB,
			CPUSeconds: u.CPUSeconds - m.infra[in.Name].CPUSeconds, WallSecond: wall.Seconds()})
	}
}

func selfUsage() procstat.Usage {
	u, _ := procstat.Read(os.Getpid())
	return u
}

// profile captures a CPU profile of p in the background when --profile is
// set; wait for the returned channel before stopping p.
func (r *runner) profile(ctx context.Context, p *svc.Process, file string, seconds int) <-chan struct{} {
	done := make(chan struct{})
	if !r.cfg.Profile || p == nil {
		close(done)
		return done
	}
	path := filepath.Join(r.cfg.Out, file)
	go func() {
		defer close(done)
		if err := p.Profile(ctx, max(seconds, 1), path); err != nil {
			r.log.Warn("profile", "name", p.Name, "err", err)
			return
		}
		r.log.Info("profile written", "path", path)
	}()
	return done
}

func (r *runner) resources() report.Scenario {
	s := report.Scenario{ID: "5", Title: "Resources per process and phase", Status: report.StatusOK, Resources: report.MergeResources(r.res),
		Notes: []string{
			"Peak RSS is VmHWM from /proc/<pid>/status: the peak since the process started (each service is started fresh for every run of a collector variant, a writer drain and an end-to-end round). CPU seconds are utime+stime from /proc/<pid>/stat spent during the phase. A phase that ran several times shows the largest peak of its runs and the CPU and wall seconds summed over them.",
			"The stack's servers are shown too, so the table tells where the machine's two cores went: PostgreSQL sums all its processes (including exited backends) and shows the largest single process's peak RSS.",
			"footprint-bench is this command: the gRPC clients, the raw producer and the per-message consumers. footprint-echo is the bare gRPC echo server.",
		}}
	if len(r.res) == 0 {
		s.Status = report.StatusFailed
		s.Error = "no phase ran"
	}
	return s
}

func (r *runner) notes() {
	r.rep.Notes = append(r.rep.Notes,
		"Everything runs on one machine: Kafka, PostgreSQL, ClickHouse, the services and the load generator share the same cores, so absolute numbers are lower than on dedicated hosts; the ratios compare runs made minutes apart on the same box.",
		fmt.Sprintf("Load average at start: %s; at end: %s. Other work on the machine shows up as noise of several percent between runs.", r.rep.Setup.LoadAvgAtStart, stack.LoadAvg()),
		fmt.Sprintf("Every measurement ran %d times, interleaved (baseline, candidate, baseline, candidate, ...); a rate is the median of its runs with their min and max, and every ratio divides medians of this run.", r.cfg.Repeats),
		fmt.Sprintf("The per-message baselines follow the original design (auto-commit consumer; per message one INSERT and commit into PostgreSQL and one INSERT into ClickHouse, in the same loop) and run on a sample of at most %d messages or %v, reported as a rate: at a few hundred messages per second a full drain would take too long.", r.cfg.PerMessageSample, r.cfg.PerMessageCap),
		"Raw COPY and raw native insert load exactly the rows the writer stored (read back from its table) into the same table definition, so the ratio isolates what the writer adds: Kafka consumption, decoding, batching, dedup and offset commits.",
		"Writer drain rates are timed from the writer's /readyz to its written counter reaching the pre-filled count (confirmed by counting rows), so they include the consumer group join.",
	)
}
