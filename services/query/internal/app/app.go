// Package app wires the query service: read keys, the two stores behind
// their slot limits, the gRPC service, the HTTP/JSON gateway with the
// dashboard, and the admin server; Run serves until ctx ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/services/query/internal/auth"
	"github.com/footprint/footprint/services/query/internal/config"
	"github.com/footprint/footprint/services/query/internal/consistency"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/httpapi"
	"github.com/footprint/footprint/services/query/internal/server"
	"github.com/footprint/footprint/services/query/internal/store"
	"github.com/footprint/footprint/services/query/internal/web"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

// Run serves the query service with a validated config until ctx ends.
func Run(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	keyring, err := auth.Parse(cfg.ReadKeys, cfg.PublicSites)
	if err != nil {
		return err
	}
	reg, err := admin.NewRegistry()
	if err != nil {
		return err
	}
	storeMetrics, err := store.NewMetrics(reg)
	if err != nil {
		return err
	}
	callMetrics, err := server.NewMetrics(reg)
	if err != nil {
		return err
	}
	pg, ch, err := openStores(ctx, cfg, storeMetrics)
	if err != nil {
		return err
	}
	defer pg.Close()
	defer ch.Close()

	svc := server.New(server.Deps{
		Keyring: keyring, Postgres: pg, ClickHouse: ch,
		Options: engine.Options{MaxRangeDays: cfg.MaxRangeDays, Now: time.Now},
		Timeout: cfg.QueryTimeout, Metrics: callMetrics, Logger: logger,
	})
	background, closeChecker, err := consistencyChecker(ctx, cfg, keyring.KnownSites(), reg, logger)
	if err != nil {
		return err
	}
	defer closeChecker()
	return serve(ctx, cfg, svc, reg, readiness(pg, ch), background, logger)
}

// consistencyChecker opens both stores' packages on the read-only roles for
// the periodic consistency check and returns its loop (a no-op when the
// interval is 0) and what closes them.
func consistencyChecker(ctx context.Context, cfg config.Config, sites []string, reg prometheus.Registerer, logger *slog.Logger) (func(context.Context) error, func(), error) {
	noop := func(context.Context) error { return nil }
	if cfg.ConsistencyInterval == 0 {
		return noop, func() {}, nil
	}
	pgCfg := postgres.DefaultConfig()
	pgCfg.URL, pgCfg.Schema = cfg.PostgresURL, cfg.PostgresSchema
	pg, err := postgres.Open(ctx, pgCfg, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("consistency: %w", err)
	}
	chCfg := clickhouse.DefaultConfig()
	chCfg.Addr, chCfg.Database = cfg.ClickHouseAddr, cfg.ClickHouseDatabase
	chCfg.User, chCfg.Password = cfg.ClickHouseUser, cfg.ClickHousePassword
	ch, err := clickhouse.Open(ctx, chCfg, logger)
	if err != nil {
		_ = pg.Close()
		return nil, nil, fmt.Errorf("consistency: %w", err)
	}
	closeBoth := func() { _ = pg.Close(); _ = ch.Close() }
	checker, err := consistency.New(pg, ch, sites, cfg.ConsistencyDays, reg, logger)
	if err != nil {
		closeBoth()
		return nil, nil, err
	}
	return func(ctx context.Context) error { return checker.Run(ctx, cfg.ConsistencyInterval) }, closeBoth, nil
}

func openStores(ctx context.Context, cfg config.Config, m *store.Metrics) (*store.Store, *store.Store, error) {
	pgdb, err := store.OpenPostgres(ctx, store.PostgresOptions{URL: cfg.PostgresURL, MaxConns: cfg.MaxConcurrent, WorkMem: cfg.PostgresWorkMem})
	if err != nil {
		return nil, nil, err
	}
	chdb, err := store.OpenClickHouse(store.ClickHouseOptions{Addr: cfg.ClickHouseAddr, Database: cfg.ClickHouseDatabase,
		User: cfg.ClickHouseUser, Password: cfg.ClickHousePassword, MaxConns: cfg.MaxConcurrent})
	if err != nil {
		pgdb.Close()
		return nil, nil, err
	}
	pg := store.New(queryv1.Store_STORE_POSTGRES, engine.Postgres{Schema: cfg.PostgresSchema}, pgdb, cfg.MaxConcurrent, cfg.QueueWait, m)
	ch := store.New(queryv1.Store_STORE_CLICKHOUSE, engine.ClickHouse{Database: cfg.ClickHouseDatabase}, chdb, cfg.MaxConcurrent, cfg.QueueWait, m)
	return pg, ch, nil
}

// readiness: ready when both stores answer a ping.
func readiness(stores ...*store.Store) admin.ReadyFunc {
	return func(ctx context.Context) error {
		var errs []error
		for _, s := range stores {
			if err := s.Ping(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
			}
		}
		return errors.Join(errs...)
	}
}

func serve(ctx context.Context, cfg config.Config, svc *server.Service, reg *prometheus.Registry, ready admin.ReadyFunc,
	background func(context.Context) error, logger *slog.Logger) error {
	grpcSrv := grpc.NewServer()
	queryv1.RegisterQueryServiceServer(grpcSrv, svc)
	hs := health.NewServer()
	hs.SetServingStatus(queryv1.QueryService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(grpcSrv, hs)
	reflection.Register(grpcSrv)

	handler, err := httpapi.Handler(ctx, svc, web.Handler())
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Addr: cfg.HTTPAddr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}

	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listen: %w", err)
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		_ = grpcLis.Close()
		return fmt.Errorf("http listen: %w", err)
	}
	logger.Info("query service starting", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String(), "admin", cfg.Admin.Addr)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return grpcSrv.Serve(grpcLis) })
	g.Go(func() error {
		if err := httpSrv.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http serve: %w", err)
		}
		return nil
	})
	g.Go(func() error { return admin.New(cfg.Admin, reg, ready, logger).Run(gctx) })
	g.Go(func() error { return background(gctx) })
	g.Go(func() error {
		<-gctx.Done()
		hs.Shutdown()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = httpSrv.Shutdown(shutdownCtx)
		stopGRPC(grpcSrv, cfg.ShutdownTimeout)
		return nil
	})
	err = g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	logger.Info("query service stopped")
	return nil
}

// stopGRPC lets in-flight calls finish for at most timeout.
func stopGRPC(s *grpc.Server, timeout time.Duration) {
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		s.Stop()
	}
}
