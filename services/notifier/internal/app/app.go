// Package app wires the notifier: the consume loop (internal/sink, the
// writers' loop) writing to the inbox, the webhook dispatcher, the
// LISTEN/NOTIFY feed of Subscribe streams, the gRPC server and the admin
// server.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/services/notifier/internal/auth"
	"github.com/footprint/footprint/services/notifier/internal/config"
	"github.com/footprint/footprint/services/notifier/internal/hub"
	"github.com/footprint/footprint/services/notifier/internal/inbox"
	"github.com/footprint/footprint/services/notifier/internal/metrics"
	"github.com/footprint/footprint/services/notifier/internal/rules"
	"github.com/footprint/footprint/services/notifier/internal/server"
	"github.com/footprint/footprint/services/notifier/internal/webhook"
)

// Run runs the notifier until ctx ends; nil after a clean shutdown.
func Run(ctx context.Context, cfg config.Config, getenv func(string) string, logger *slog.Logger) error {
	keys, err := auth.Parse(cfg.APIKeys)
	if err != nil {
		return err
	}
	set, err := rules.Load(cfg.RulesFile, getenv)
	if err != nil {
		return err
	}
	endpoints, err := webhook.Endpoints(set, cfg.Webhook)
	if err != nil {
		return err
	}
	reg, err := admin.NewRegistry()
	if err != nil {
		return err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return err
	}
	wake := make(chan struct{}, 1)
	store, err := inbox.Open(ctx, cfg.PostgresURL, set, inbox.Hooks{Committed: func(res inbox.WriteResult) {
		m.Committed(res)
		if res.Webhooks > 0 {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}}, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	dlq, err := webhook.NewKafkaDLQ(cfg.Sink.Brokers, cfg.DLQTopic, cfg.Sink.Group+"-webhook-dlq")
	if err != nil {
		return err
	}
	defer dlq.Close()
	disp := webhook.New(cfg.Webhook, endpoints, store, dlq, m, logger)
	h := hub.New(func(d int) { m.Subscribers.Add(float64(d)) })
	svc := server.New(keys, store, h, m, logger)
	return serve(ctx, cfg, parts{store: store, disp: disp, wake: wake, hub: h, svc: svc, m: m}, reg, logger)
}

type parts struct {
	store *inbox.Store
	disp  *webhook.Dispatcher
	wake  chan struct{}
	hub   *hub.Hub
	svc   *server.Service
	m     *metrics.Metrics
}

func serve(ctx context.Context, cfg config.Config, p parts, reg *prometheus.Registry, logger *slog.Logger) error {
	var loop atomic.Pointer[sink.Loop]
	ready := func(ctx context.Context) error {
		l := loop.Load()
		if l == nil {
			return errors.New("starting: migrating the inbox")
		}
		return l.Ready(ctx)
	}
	grpcSrv := grpc.NewServer()
	notifierv1.RegisterNotificationServiceServer(grpcSrv, p.svc)
	hs := health.NewServer()
	hs.SetServingStatus(notifierv1.NotificationService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(grpcSrv, hs)
	reflection.Register(grpcSrv)
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listen: %w", err)
	}
	logger.Info("notifier starting", "grpc", lis.Addr().String(), "admin", cfg.Admin.Addr, "group", cfg.Sink.Group, "topic", cfg.Sink.Topic)

	g, gctx := errgroup.WithContext(ctx)
	// The admin server answers /healthz (and says why not ready) while the
	// inbox is still being migrated.
	g.Go(func() error { return admin.New(cfg.Admin, reg, ready, logger).Run(gctx) })
	g.Go(func() error { return grpcSrv.Serve(lis) })
	g.Go(func() error {
		<-gctx.Done()
		hs.Shutdown()
		stopGRPC(grpcSrv, cfg.ShutdownTimeout)
		return nil
	})
	g.Go(func() error {
		if err := migrate(gctx, p.store, logger); err != nil {
			if gctx.Err() != nil {
				return nil // stopped during start-up
			}
			return err
		}
		l, err := sink.New(cfg.Sink, p.store, reg, logger)
		if err != nil {
			return err
		}
		loop.Store(l)
		dg, dctx := errgroup.WithContext(gctx)
		dg.Go(func() error { p.disp.Run(dctx); return nil })
		dg.Go(func() error {
			for {
				select {
				case <-dctx.Done():
					return nil
				case <-p.wake:
					p.disp.Wake()
				}
			}
		})
		dg.Go(func() error { p.store.Listen(dctx, p.hub.Wake, p.hub.WakeAll, logger); return nil })
		dg.Go(func() error { pruneOutbox(dctx, p.store, cfg.Webhook.Retention, logger); return nil })
		dg.Go(func() error { return l.Run(dctx) })
		return dg.Wait()
	})
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	logger.Info("notifier stopped")
	return nil
}

// pruneOutbox deletes old delivered and dead webhook messages every hour.
func pruneOutbox(ctx context.Context, store *inbox.Store, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := store.PruneOutbox(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			logger.Warn("prune webhook outbox", "err", err)
		} else if n > 0 {
			logger.Info("pruned webhook outbox", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stopGRPC lets calls in flight finish for at most timeout; Subscribe
// streams end when their context does.
func stopGRPC(s *grpc.Server, timeout time.Duration) {
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		s.Stop()
	}
}

// migrate retries the migrations until the database answers or ctx ends.
func migrate(ctx context.Context, store *inbox.Store, logger *slog.Logger) error {
	backoff := 200 * time.Millisecond
	for {
		err := store.Migrate(ctx)
		if err == nil {
			return nil
		}
		logger.Warn("migrate failed, retrying", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
