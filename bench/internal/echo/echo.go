// Package echo is the ceiling of the collector's unary path: a bare gRPC
// server of the collector's API whose Ingest decodes the request (gRPC does)
// and accepts every event without doing anything with it. Driven by the
// same client code as the collector, on the same box, it shows what gRPC
// alone costs there.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	"google.golang.org/grpc"
)

// Errors of Config.Validate.
var (
	ErrGRPCAddr  = errors.New("echo: FOOTPRINT_ECHO_GRPC_ADDR is required")
	ErrAdminAddr = errors.New("echo: FOOTPRINT_ADMIN_ADDR is required")
)

// Config is the echo server's configuration, from the environment like the
// services it stands in for.
type Config struct {
	// GRPCAddr is where the collector API is served.
	GRPCAddr string
	// AdminAddr serves /readyz, so the bench starts it like a service.
	AdminAddr string
}

// ConfigFromEnv reads FOOTPRINT_ECHO_GRPC_ADDR and FOOTPRINT_ADMIN_ADDR.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{GRPCAddr: getenv("FOOTPRINT_ECHO_GRPC_ADDR"), AdminAddr: getenv("FOOTPRINT_ADMIN_ADDR")}
}

// Validate reports missing settings.
func (c Config) Validate() error {
	var errs []error
	if c.GRPCAddr == "" {
		errs = append(errs, ErrGRPCAddr)
	}
	if c.AdminAddr == "" {
		errs = append(errs, ErrAdminAddr)
	}
	return errors.Join(errs...)
}

// server accepts every event of every request.
type server struct {
	collectorv1.UnimplementedCollectorServiceServer
}

func (server) Ingest(_ context.Context, req *collectorv1.IngestRequest) (*collectorv1.IngestResponse, error) {
	return &collectorv1.IngestResponse{AcceptedCount: uint32(len(req.GetEvents()))}, nil
}

func (server) IngestStream(st collectorv1.CollectorService_IngestStreamServer) error {
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		if err := st.Send(&collectorv1.IngestStreamResponse{Sequence: req.GetSequence(), AcceptedCount: uint32(len(req.GetEvents()))}); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
}

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen grpc: %w", err)
	}
	admin, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		_ = lis.Close()
		return fmt.Errorf("listen admin: %w", err)
	}
	gs := grpc.NewServer()
	collectorv1.RegisterCollectorServiceServer(gs, server{})
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- gs.Serve(lis) }()
	go func() { errc <- hs.Serve(admin) }()
	logger.Info("echo server listening", "grpc", cfg.GRPCAddr, "admin", cfg.AdminAddr)
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	gs.GracefulStop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
