package suite

import (
	"context"
	"fmt"
	"time"

	"github.com/footprint/footprint/bench/internal/baseline"
	"github.com/footprint/footprint/bench/internal/load"
	"github.com/footprint/footprint/bench/internal/report"
	"github.com/footprint/footprint/bench/internal/svc"
	"github.com/footprint/footprint/internal/testenv"
)

// variant is one way of driving the collector.
type variant struct {
	batch, clients int
	stream         bool
}

func (v variant) name() string {
	kind := "unary"
	if v.stream {
		kind = "stream"
	}
	return fmt.Sprintf("collector %s, batch %d, %d clients", kind, v.batch, v.clients)
}

// phase is the resources table's phase of v.
func (v variant) phase() string { return "1 " + v.name() }

// variants are the collector measurements: batch 1000 with Clients and
// batch 100 with Clients100, unary and stream; batch 1 with UnaryClients,
// unary only (the pattern web middleware produces).
func (c Config) variants() []variant {
	var out []variant
	for _, b := range c.BatchSizes {
		switch {
		case b == 1:
			out = append(out, variant{batch: 1, clients: c.UnaryClients})
		case b <= 100:
			out = append(out, variant{batch: b, clients: c.Clients100}, variant{batch: b, clients: c.Clients100, stream: true})
		default:
			out = append(out, variant{batch: b, clients: c.Clients}, variant{batch: b, clients: c.Clients, stream: true})
		}
	}
	return out
}

// echoName is the echo server's measurement, driven like the unary batch-1
// variant.
func (c Config) echoName() string {
	return fmt.Sprintf("bare gRPC echo server, unary, batch 1, %d clients", c.UnaryClients)
}

// collectorIngest is scenario 1: per round the raw producer (baseline), then
// every collector variant, each on a freshly started collector (so its peak
// RSS is its own), then the bare gRPC echo server. The first round's raw
// producer fills the topic scenarios 2, 3 and 4's per-message baselines read.
func (r *runner) collectorIngest(ctx context.Context, s *report.Scenario) error {
	ser := newSeries()
	ctopic, err := r.st.NewTopic(ctx, "bench_ingest", r.cfg.Partitions)
	if err != nil {
		return err
	}
	steps := []step{{name: mRawProducer, run: func(ctx context.Context, round int) error { return r.rawProducer(ctx, round, ser) }}}
	for _, v := range r.cfg.variants() {
		steps = append(steps, step{name: v.name(), run: func(ctx context.Context, round int) error { return r.collectorVariant(ctx, round, ctopic, v, ser) }})
	}
	if r.cfg.hasUnary() {
		steps = append(steps, step{name: r.cfg.echoName(), run: func(ctx context.Context, _ int) error { return r.echoServer(ctx, ser) }})
	}
	err = interleave(ctx, r.cfg.Repeats, steps, r.stepDone)
	s.Measurements = ser.measurements()
	for _, v := range r.cfg.variants() {
		target := 0.0
		switch {
		case v.batch >= 1000:
			target = 0.8
		case v.batch >= 100:
			target = 0.6
		}
		r.addRatio(s, v.name()+" / raw producer", v.name(), mRawProducer, target)
	}
	if r.cfg.hasUnary() {
		u := variant{batch: 1, clients: r.cfg.UnaryClients}
		r.addRatio(s, u.name()+" / echo server", u.name(), r.cfg.echoName(), 0)
	}
	s.Notes = append(s.Notes,
		fmt.Sprintf("Each collector variant runs on a freshly started collector until %d events are acknowledged or %v pass; every client has its own connection; streams keep %d batches in flight. The raw producer sends the same encoded events (the collector's output: enriched, with the wire headers) straight to a topic.", r.cfg.Events, r.cfg.IngestCap, r.cfg.StreamWindow),
		"The bare gRPC echo server (bench/cmd/footprint-echo) answers the collector API's Ingest by accepting every event and doing nothing else; driven by the same client code on the same box, it is the ceiling of single-event unary calls here.",
	)
	return err
}

func (c Config) hasUnary() bool {
	for _, b := range c.BatchSizes {
		if b == 1 {
			return true
		}
	}
	return false
}

// stepDone logs the end of a step.
func (r *runner) stepDone(name string, round int, err error) {
	if err != nil {
		r.log.Error("measurement failed", "name", name, "run", round+1, "err", err)
		return
	}
	r.log.Info("measurement done", "name", name, "run", round+1, "of", r.cfg.Repeats)
}

func (r *runner) rawProducer(ctx context.Context, round int, ser *series) error {
	topic, err := r.st.NewTopic(ctx, "bench_prefill", r.cfg.Partitions)
	if err != nil {
		return err
	}
	r.log.Info("raw producer", "events", len(r.msgs), "topic", topic)
	pm := mark()
	timed, d, err := baseline.Produce(ctx, baseline.ProducerConfig{
		Brokers: r.st.Config().KafkaBrokers, Topic: topic, Compression: r.cfg.Compression, LingerMs: r.cfg.LingerMs,
		Progress: func(n int) { r.log.Debug("raw producer progress", "acked", n, "of", len(r.msgs)) },
	}, r.msgs)
	if err != nil {
		return fmt.Errorf("raw producer: %w", err)
	}
	r.recordPhase("1 raw producer", pm)
	if r.prefilled == "" {
		r.prefilled = topic
	}
	ser.add(mRawProducer, report.KindBaseline, "events/s", report.NewRun(int64(timed), d))
	return nil
}

func (r *runner) collectorVariant(ctx context.Context, round int, topic string, v variant, ser *series) error {
	grpcAddr, err := testenv.FreePort()
	if err != nil {
		return err
	}
	coll, err := r.start(ctx, svc.Collector, map[string]string{
		"FOOTPRINT_KAFKA_TOPIC":         topic,
		"FOOTPRINT_COLLECTOR_GRPC_ADDR": grpcAddr,
		"FOOTPRINT_COLLECTOR_API_KEYS":  benchKey + "=" + benchSite,
	})
	if err != nil {
		return err
	}
	defer func() { _ = coll.Stop(30 * time.Second) }()
	var pm phaseMark
	onStart := func() { coll.Mark(); pm = mark() }
	var prof <-chan struct{}
	if round == 0 && (v.batch >= 1000 && v.stream || v.batch == 1) {
		prof = r.profile(ctx, coll, fmt.Sprintf("collector-batch%d.prof", v.batch), min(r.cfg.ProfileSeconds, int(r.cfg.IngestCap.Seconds())))
	}
	res, err := load.Run(ctx, load.Config{
		Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: v.clients, Batch: v.batch, Stream: v.stream,
		Window: r.cfg.StreamWindow, MaxEvents: int64(r.cfg.Events), MaxDuration: r.cfg.IngestCap, Seed: uint64(v.batch + round),
		OnStart: onStart,
	})
	if prof != nil {
		<-prof
	}
	if err != nil {
		return err
	}
	r.record(coll, v.phase())
	r.recordPhase(v.phase(), pm)
	ser.add(v.name(), report.KindFootprint, "events/s", report.NewRun(res.Acked, res.Elapsed))
	return nil
}

func (r *runner) echoServer(ctx context.Context, ser *series) error {
	grpcAddr, err := testenv.FreePort()
	if err != nil {
		return err
	}
	p, err := r.start(ctx, svc.Echo, map[string]string{"FOOTPRINT_ECHO_GRPC_ADDR": grpcAddr})
	if err != nil {
		return err
	}
	defer func() { _ = p.Stop(30 * time.Second) }()
	var pm phaseMark
	res, err := load.Run(ctx, load.Config{
		Addr: grpcAddr, APIKey: benchKey, Site: benchSite, Clients: r.cfg.UnaryClients, Batch: 1,
		MaxEvents: int64(r.cfg.Events), MaxDuration: r.cfg.IngestCap, Seed: 1,
		OnStart: func() { p.Mark(); pm = mark() },
	})
	if err != nil {
		return err
	}
	phase := "1 " + r.cfg.echoName()
	r.record(p, phase)
	r.recordPhase(phase, pm)
	ser.add(r.cfg.echoName(), report.KindBaseline, "events/s", report.NewRun(res.Acked, res.Elapsed))
	return nil
}
