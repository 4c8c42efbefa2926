// Package load drives the collector over gRPC the way many apps would:
// several concurrent clients, each on its own connection, sending batches
// with the unary Ingest or the IngestStream RPC, either as fast as the
// collector acknowledges them or paced at a target rate.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/footprint/footprint/bench/internal/gen"
	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrRejected is returned when the collector rejects events the generator
// made: the benchmark's events must all be valid.
var ErrRejected = errors.New("collector rejected benchmark events")

// Config configures a load run.
type Config struct {
	// Addr is the collector's gRPC address; APIKey owns Site.
	Addr, APIKey, Site string
	// Clients is the number of concurrent clients, each with its own connection.
	Clients int
	// Batch is the number of events per request.
	Batch int
	// Stream uses IngestStream with up to Window batches in flight per stream
	// instead of unary Ingest.
	Stream bool
	Window int
	// MaxEvents and MaxDuration end the run, whichever comes first.
	MaxEvents   int64
	MaxDuration time.Duration
	// Rate, when positive, paces the clients to this many events per second
	// in total (open loop: a late batch is sent at once, not skipped).
	Rate float64
	// OnAck, when set, is called with the id of the first event of every
	// acknowledged batch (the marker) and the time the acknowledgement arrived.
	OnAck func(markerID string, at time.Time)
	// Seed makes event content reproducible.
	Seed uint64
	// OnStart, when set, is called once every client is connected and warmed
	// up, right before the measured run starts (to mark resource usage
	// without the clients' set-up).
	OnStart func()
}

// Result is what a run achieved.
type Result struct {
	Acked    int64
	Rejected int64
	Elapsed  time.Duration
}

type client struct {
	cfg  Config
	conn *grpc.ClientConn
	gen  *gen.Generator
	pool []*eventv1.Event
	next int
}

func newClient(cfg Config, i int) (*client, error) {
	conn, err := grpc.NewClient(cfg.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("grpc client: %w", err)
	}
	g := gen.New(gen.Config{Sites: []string{cfg.Site}, Seed: cfg.Seed + uint64(i)*7919})
	// An event is reused only after Window+1 later batches were sent, so the
	// request holding it has been answered (at most Window are in flight).
	n := max(cfg.Batch*(max(cfg.Window, 1)+2), 1000)
	pool := make([]*eventv1.Event, n)
	for j := range pool {
		pool[j] = g.Event()
	}
	return &client{cfg: cfg, conn: conn, gen: g, pool: pool}, nil
}

// batch returns the next Batch events with fresh ids (the collector's
// idempotency key) and, when paced, the marker's occurred_at set to now so
// store pollers can search a narrow time range.
func (c *client) batch() []*eventv1.Event {
	out := make([]*eventv1.Event, c.cfg.Batch)
	for i := range out {
		e := c.pool[c.next]
		c.next = (c.next + 1) % len(c.pool)
		e.EventId = c.gen.NextID()
		out[i] = e
	}
	if c.cfg.OnAck != nil {
		out[0].OccurredAt = timestamppb.Now()
	}
	return out
}

// Run drives the collector and returns the acknowledged event count.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Clients <= 0 || cfg.Batch <= 0 {
		return Result{}, fmt.Errorf("load: clients and batch must be positive: %w", errors.ErrUnsupported)
	}
	if cfg.Window <= 0 {
		cfg.Window = 4
	}
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		c, err := newClient(cfg, i)
		if err != nil {
			return Result{}, err
		}
		defer func() { _ = c.conn.Close() }()
		clients[i] = c
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+cfg.APIKey)
	// Connect and warm up every client with one unmeasured call, so the
	// measurement starts with established connections.
	for _, c := range clients {
		if _, err := collectorv1.NewCollectorServiceClient(c.conn).Ingest(ctx, &collectorv1.IngestRequest{Events: c.batch()[:1]}); err != nil {
			return Result{}, fmt.Errorf("warm-up call: %w", err)
		}
	}
	// The time cap stops clients from sending new batches; batches already
	// sent are waited for with the caller's context, so a capped run ends
	// with every sent event acknowledged rather than with cancelled calls.
	stop := make(chan struct{})
	timer := time.AfterFunc(cfg.MaxDuration, func() { close(stop) })
	defer timer.Stop()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sent, acked, rejected atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	if cfg.OnStart != nil {
		cfg.OnStart()
	}
	start := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if cfg.Stream {
				err = c.stream(runCtx, stop, start, i, &sent, &acked, &rejected)
			} else {
				err = c.unary(runCtx, stop, start, i, &sent, &acked, &rejected)
			}
			if err != nil {
				errs[i] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	res := Result{Acked: acked.Load(), Rejected: rejected.Load(), Elapsed: time.Since(start)}
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	if res.Rejected > 0 {
		return res, fmt.Errorf("%d events: %w", res.Rejected, ErrRejected)
	}
	return res, nil
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// take reserves Batch events of the MaxEvents budget.
func take(cfg Config, sent *atomic.Int64) bool {
	return cfg.MaxEvents <= 0 || sent.Add(int64(cfg.Batch)) <= cfg.MaxEvents
}

// pace waits until batch number n of this client is due. It returns false
// when the run was stopped meanwhile.
func pace(ctx context.Context, stop <-chan struct{}, cfg Config, start time.Time, client int, n int64) (bool, error) {
	if cfg.Rate <= 0 {
		return !stopped(stop), nil
	}
	interval := time.Duration(float64(time.Second) * float64(cfg.Batch*cfg.Clients) / cfg.Rate)
	// Clients are spread evenly over one interval.
	due := start.Add(time.Duration(n)*interval + interval*time.Duration(client)/time.Duration(cfg.Clients))
	d := time.Until(due)
	if d <= 0 {
		return !stopped(stop), nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-stop:
		return false, nil
	case <-t.C:
		return true, nil
	}
}

func (c *client) unary(ctx context.Context, stop <-chan struct{}, start time.Time, idx int, sent, acked, rejected *atomic.Int64) error {
	api := collectorv1.NewCollectorServiceClient(c.conn)
	for n := int64(0); take(c.cfg, sent); n++ {
		if ok, err := pace(ctx, stop, c.cfg, start, idx, n); !ok {
			return err
		}
		events := c.batch()
		marker := events[0].EventId
		resp, err := api.Ingest(ctx, &collectorv1.IngestRequest{Events: events})
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		at := time.Now()
		acked.Add(int64(resp.GetAcceptedCount()))
		rejected.Add(int64(resp.GetRejectedCount()))
		if c.cfg.OnAck != nil && resp.GetAcceptedCount() == uint32(len(events)) {
			c.cfg.OnAck(marker, at)
		}
	}
	return nil
}

func (c *client) stream(ctx context.Context, stop <-chan struct{}, start time.Time, idx int, sent, acked, rejected *atomic.Int64) error {
	api := collectorv1.NewCollectorServiceClient(c.conn)
	st, err := api.IngestStream(ctx)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	window := make(chan struct{}, c.cfg.Window)
	var markers sync.Map // sequence -> marker id
	recvErr := make(chan error, 1)
	go func() {
		for {
			resp, err := st.Recv()
			if err == io.EOF {
				recvErr <- nil
				return
			}
			if err != nil {
				recvErr <- fmt.Errorf("stream receive: %w", err)
				return
			}
			at := time.Now()
			acked.Add(int64(resp.GetAcceptedCount()))
			rejected.Add(int64(resp.GetRejectedCount()))
			if m, ok := markers.LoadAndDelete(resp.GetSequence()); ok && c.cfg.OnAck != nil && resp.GetRejectedCount() == 0 {
				c.cfg.OnAck(m.(string), at)
			}
			<-window
		}
	}()
	var seq uint64
	for n := int64(0); take(c.cfg, sent); n++ {
		ok, err := pace(ctx, stop, c.cfg, start, idx, n)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
		case err := <-recvErr:
			return err
		}
		if stopped(stop) {
			break
		}
		seq++
		events := c.batch()
		markers.Store(seq, events[0].EventId)
		if err := st.Send(&collectorv1.IngestStreamRequest{Sequence: seq, Events: events}); err != nil {
			if err == io.EOF {
				return <-recvErr
			}
			return fmt.Errorf("stream send: %w", err)
		}
	}
	if err := st.CloseSend(); err != nil {
		return fmt.Errorf("close stream: %w", err)
	}
	return <-recvErr
}
