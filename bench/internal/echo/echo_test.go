package echo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestEchoAcceptsEveryEvent(t *testing.T) {
	cfg := Config{GRPCAddr: testenv.FreeAddr(t), AdminAddr: testenv.FreeAddr(t)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + cfg.AdminAddr + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling readiness with a deadline
	}
	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	api := collectorv1.NewCollectorServiceClient(conn)
	resp, err := api.Ingest(ctx, &collectorv1.IngestRequest{Events: []*eventv1.Event{{}, {}, {}}})
	if err != nil || resp.GetAcceptedCount() != 3 {
		t.Fatalf("Ingest = %v, %v; want 3 accepted", resp, err)
	}
	st, err := api.IngestStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&collectorv1.IngestStreamRequest{Sequence: 7, Events: []*eventv1.Event{{}, {}}}); err != nil {
		t.Fatal(err)
	}
	sr, err := st.Recv()
	if err != nil || sr.GetSequence() != 7 || sr.GetAcceptedCount() != 2 {
		t.Fatalf("stream = %v, %v; want sequence 7, 2 accepted", sr, err)
	}
	_ = st.CloseSend()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{}.Validate()
	if !errors.Is(err, ErrGRPCAddr) || !errors.Is(err, ErrAdminAddr) {
		t.Errorf("Validate() = %v", err)
	}
}
