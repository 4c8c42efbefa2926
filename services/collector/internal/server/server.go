// Package server is the collector's gRPC edge: CollectorService, health and
// reflection, API-key authentication, and the mapping of errors to status
// codes.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// Named configuration errors, joined by Config.Validate.
var (
	ErrGRPCAddr        = errors.New("server: grpc listen address must be host:port")
	ErrTLSPair         = errors.New("server: set both the TLS certificate and key files, or neither")
	ErrShutdownTimeout = errors.New("server: shutdown timeout must be positive")
	ErrMaxRecvBytes    = errors.New("server: max receive message bytes must be at least 64 KiB")
)

// Config configures the gRPC server.
type Config struct {
	// GRPCAddr is the host:port the gRPC server listens on.
	GRPCAddr string
	// TLSCertFile and TLSKeyFile enable TLS when both are set (PEM files).
	TLSCertFile string
	TLSKeyFile  string
	// ShutdownTimeout bounds the wait for in-flight calls on SIGTERM; calls
	// still running then are cancelled.
	ShutdownTimeout time.Duration
	// MaxRecvMessageBytes is the largest request message; larger ones fail
	// with ResourceExhausted before they are read.
	MaxRecvMessageBytes int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:            "127.0.0.1:50051",
		ShutdownTimeout:     20 * time.Second,
		MaxRecvMessageBytes: 16 << 20,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.GRPCAddr); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrGRPCAddr, err))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, ErrTLSPair)
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, ErrShutdownTimeout)
	}
	if c.MaxRecvMessageBytes < 64<<10 {
		errs = append(errs, ErrMaxRecvBytes)
	}
	return errors.Join(errs...)
}

// BatchProducer stores encoded events; producer.Producer implements it.
// It must not keep the messages' memory after it returns.
type BatchProducer interface {
	ProduceBatch(ctx context.Context, msgs []producer.Message) error
}

// Deps are what the service needs.
type Deps struct {
	Validator *validate.Validator
	Enricher  *enrich.Enricher
	Producer  BatchProducer
	Keyring   *auth.Keyring
	Metrics   *Metrics
	Logger    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the collector's gRPC server.
type Server struct {
	cfg    Config
	grpc   *grpc.Server
	health *health.Server
	logger *slog.Logger
	// pipeline is shared with the HTTP beacon.
	pipeline *Pipeline
}

// New builds the gRPC server with CollectorService, health and reflection.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	svc := &service{deps: deps, pipeline: NewPipeline(deps)}
	opts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(tolerantCodec{}),
		// Stop (after the shutdown timeout) waits for handlers, so the
		// producer is never closed under a running call.
		grpc.WaitForHandlers(true),
		grpc.MaxRecvMsgSize(cfg.MaxRecvMessageBytes),
		// Calls run on long-lived worker goroutines whose stacks have already
		// grown, instead of a new goroutine per call (stack growth was 5% of
		// the CPU with 256 clients sending one event per call). When every
		// worker is busy gRPC starts a goroutine as before, so this bounds
		// nothing.
		grpc.NumStreamWorkers(streamWorkers),
		grpc.ChainUnaryInterceptor(svc.unaryInterceptor),
		grpc.ChainStreamInterceptor(svc.streamInterceptor),
	}
	if cfg.TLSCertFile != "" {
		creds, err := credentials.NewServerTLSFromFile(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls key pair: %w", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	gs := grpc.NewServer(opts...)
	collectorv1.RegisterCollectorServiceServer(gs, svc)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	hs.SetServingStatus(collectorv1.CollectorService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	reflection.Register(gs)
	return &Server{cfg: cfg, grpc: gs, health: hs, logger: deps.Logger, pipeline: svc.pipeline}, nil
}

// Pipeline is the ingest path the gRPC service uses, for other front ends to share.
func (s *Server) Pipeline() *Pipeline { return s.pipeline }

// Serve serves on lis until ctx is cancelled, then stops accepting calls,
// lets in-flight calls finish for at most ShutdownTimeout, and returns.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.grpc.Serve(lis) }()
	s.logger.Info("grpc server listening", "addr", lis.Addr().String(), "tls", s.cfg.TLSCertFile != "")
	select {
	case err := <-errc:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
	}
	// Load balancers watching health stop sending new calls first.
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(s.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-stopped:
		s.logger.Info("grpc server stopped gracefully")
	case <-timer.C:
		s.logger.Warn("in-flight calls did not finish in time; cancelling them", "timeout", s.cfg.ShutdownTimeout)
		s.grpc.Stop()
		<-stopped
	}
	return nil
}

// streamWorkers is the number of call workers: about as many calls as wait
// for Kafka's acknowledgements at once under heavy load.
const streamWorkers = 256

const collectorMethodPrefix = "/footprint.collector.v1.CollectorService/"

type service struct {
	collectorv1.UnimplementedCollectorServiceServer
	deps     Deps
	pipeline *Pipeline
}

// unaryInterceptor authenticates CollectorService calls and counts them in
// flight; health and reflection pass through without a key.
func (s *service) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if !strings.HasPrefix(info.FullMethod, collectorMethodPrefix) {
		return handler(ctx, req)
	}
	s.deps.Metrics.inFlight.Inc()
	defer s.deps.Metrics.inFlight.Dec()
	ctx, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *service) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasPrefix(info.FullMethod, collectorMethodPrefix) {
		return handler(srv, ss)
	}
	s.deps.Metrics.inFlight.Inc()
	defer s.deps.Metrics.inFlight.Dec()
	ctx, err := s.authenticate(ss.Context())
	if err != nil {
		return err
	}
	return handler(srv, &authedStream{ServerStream: ss, ctx: ctx})
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }

func (s *service) authenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	p, err := s.deps.Keyring.Authenticate(md)
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return auth.WithPrincipal(ctx, p), nil
}

// Ingest implements CollectorService.
func (s *service) Ingest(ctx context.Context, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
	if reason, bad := undecodable(req); bad {
		return nil, status.Error(codes.InvalidArgument, "request is not a valid IngestRequest: "+reason)
	}
	results, accepted, rejected, err := s.ingest(ctx, req.GetEvents())
	if err != nil {
		return nil, err
	}
	return &collectorv1.IngestResponse{Results: results, AcceptedCount: accepted, RejectedCount: rejected}, nil
}

// IngestStream implements CollectorService: one response per request, in
// order, each after Kafka acknowledged that batch.
func (s *service) IngestStream(stream collectorv1.CollectorService_IngestStreamServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if reason, bad := undecodable(req); bad {
			return status.Error(codes.InvalidArgument, "request is not a valid IngestStreamRequest: "+reason)
		}
		results, accepted, rejected, err := s.ingest(stream.Context(), req.GetEvents())
		if err != nil {
			return err
		}
		if err := stream.Send(&collectorv1.IngestStreamResponse{
			Sequence: req.GetSequence(), Results: results, AcceptedCount: accepted, RejectedCount: rejected,
		}); err != nil {
			return err
		}
	}
}

// ingest runs one batch through the pipeline with the caller's principal and
// maps the pipeline's errors to status errors.
func (s *service) ingest(ctx context.Context, events []*eventv1.Event) (results []*collectorv1.EventResult, accepted, rejected uint32, err error) {
	principal, ok := auth.PrincipalFrom(ctx)
	if !ok {
		s.deps.Metrics.received.Add(float64(len(events)))
		return nil, 0, 0, status.Error(codes.Unauthenticated, "not authenticated")
	}
	b, err := s.pipeline.Ingest(ctx, events, IngestOptions{Owns: principal.Owns, PeerIP: peerAddress(ctx)})
	if err != nil {
		return nil, 0, 0, ingestStatus(err)
	}
	return b.Results, b.Accepted, b.Rejected, nil
}

// ingestStatus maps a pipeline error to the status the client acts on.
func ingestStatus(err error) error {
	switch {
	case errors.Is(err, ErrTooManyEvents):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, auth.ErrSiteNotAllowed):
		return status.Error(codes.PermissionDenied, err.Error())
	default:
		return produceStatus(err)
	}
}

// rejectedResult reports a rejected event. The id is echoed as sent, cut
// short: it may be anything a client typed.
func rejectedResult(index int, ev *eventv1.Event, rej *validate.Rejection) *collectorv1.EventResult {
	return &collectorv1.EventResult{
		Index:        uint32(index),
		EventId:      validate.Truncate(ev.GetEventId(), 64),
		Outcome:      collectorv1.Outcome_OUTCOME_REJECTED,
		RejectReason: rej.Reason,
		Field:        rej.Field,
		Message:      rej.Message,
	}
}

// produceStatus maps a producer error to the status the client acts on.
func produceStatus(err error) error {
	switch {
	case errors.Is(err, producer.ErrQueueFull):
		return status.Error(codes.ResourceExhausted, "producer queue is full; retry with backoff")
	case errors.Is(err, producer.ErrClosed):
		return status.Error(codes.Unavailable, "collector is shutting down; retry with the same event_ids")
	default:
		return status.Errorf(codes.Unavailable, "events not acknowledged by Kafka; retry with the same event_ids: %v", err)
	}
}

// peerAddress is the IP of the gRPC peer, or "" when unknown.
func peerAddress(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return ""
	}
	return host
}
