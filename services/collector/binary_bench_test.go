package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/procstat"
	"github.com/footprint/footprint/internal/testenv"
)

// BenchmarkBinary runs the collector binary (its own process, default
// settings) under the bench's shapes of load and reports, besides events/s,
// what only a separate process shows: the collector's own CPU per event
// (utime+stime from /proc, so the clients' CPU is not in it) and its peak
// RSS (VmHWM) since it started. One op is one event.
//
//	go test -run '^$' -bench Binary -benchtime 200000x .
func BenchmarkBinary(b *testing.B) {
	brokers := testenv.KafkaBrokers(b)
	bin := filepath.Join(b.TempDir(), "collector")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, shape := range []struct{ clients, batch int }{{4, 1000}, {64, 100}, {256, 1}} {
		b.Run(fmt.Sprintf("clients=%d/batch=%d", shape.clients, shape.batch), func(b *testing.B) {
			pid, addr := startBinary(b, bin, brokers)
			calls := int64(max(b.N/shape.batch, 1))
			u0 := usage(b, pid)
			b.ResetTimer()
			if err := load(addr, shape.clients, shape.batch, calls); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			events := float64(calls) * float64(shape.batch)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			u1 := usage(b, pid)
			b.ReportMetric((u1.CPUSeconds-u0.CPUSeconds)*1e6/events, "collector-cpu-us/event")
			b.ReportMetric(u1.PeakRSSMB, "peak-rss-MB")
		})
	}
}

// startBinary starts the collector on a new topic and waits until it is ready.
func startBinary(b *testing.B, bin, brokers string) (pid int, grpcAddr string) {
	topic := testenv.NewTopic(b, brokers, 6)
	grpcAddr = testenv.FreeAddr(b)
	p := startCollector(b, bin, brokers, topic, grpcAddr,
		"FOOTPRINT_COLLECTOR_HTTP_ADDR=off", "FOOTPRINT_COLLECTOR_API_KEYS=bench_key=bench",
		"FOOTPRINT_COLLECTOR_VISITOR_SECRET=binary-bench-visitor-secret")
	return p.Pid(), grpcAddr
}

// load sends calls requests of batch events from clients connections.
func load(addr string, clients, batch int, calls int64) error {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer bench_key")
	var next atomic.Int64
	errc := make(chan error, clients)
	for c := range clients {
		go func() {
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				errc <- err
				return
			}
			defer conn.Close()
			client := collectorv1.NewCollectorServiceClient(conn)
			req := &collectorv1.IngestRequest{Events: make([]*eventv1.Event, batch)}
			for i := range req.Events {
				url := fmt.Sprintf("https://shop.example.com/p/%d", i%16)
				if i%3 == 0 {
					url += "?utm_source=newsletter&utm_medium=email"
				}
				req.Events[i] = &eventv1.Event{
					EventId: fmt.Sprintf("0193a5b2-7c4d-4e8f-%04x-%012x", c, i+1), SiteId: "bench",
					VisitorId: fmt.Sprintf("%d-%d", c, i), HttpMethod: "GET",
					Page: &eventv1.Page{Url: url, Referrer: "https://www.google.com/"},
					Client: &eventv1.ClientContext{Locale: "en-US", ScreenWidth: 1920, ScreenHeight: 1080,
						UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"},
				}
			}
			for next.Add(1) <= calls {
				if _, err := client.Ingest(ctx, req); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	var errs []error
	for range clients {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

// usage is what pid used so far.
func usage(b *testing.B, pid int) procstat.Usage {
	u, err := procstat.Read(pid)
	if err != nil {
		b.Fatal(err)
	}
	return u
}
