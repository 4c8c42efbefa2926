package beacon_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/producer"
)

// benchConcurrency is the number of concurrent clients, like ghz's -c 50.
const benchConcurrency = 50

// BenchmarkFrontEnds measures events/s through each front end of one collector
// against the real broker, in the same run: one browser event per HTTP request,
// one event per gRPC Ingest call (the same shape), and 100 events per Ingest call
// (what the SDK sends). Run with
//
//	FOOTPRINT_REQUIRE_STACK=1 go test -run '^$' -bench FrontEnds -benchtime 20000x ./internal/beacon/
func BenchmarkFrontEnds(b *testing.B) {
	e := startEndpoint(b, "", func(c *beacon.Config, _ *producer.Config) {
		c.IPRate, c.IPBurst = math.MaxInt32, math.MaxInt32 // measure the path, not the limiter
		c.SiteRate, c.SiteBurst = math.MaxInt32, math.MaxInt32
	})
	b.Run("http_beacon", func(b *testing.B) {
		transport := &http.Transport{MaxIdleConnsPerHost: benchConcurrency}
		client := &http.Client{Transport: transport}
		body := []byte(pageView)
		parallel(b, func() {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/api/event", bytes.NewReader(body))
			req.Header.Set("Origin", shopOrigin)
			req.Header.Set("User-Agent", chromeUA)
			req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
			}
		}, 1)
	})
	for _, batch := range []int{1, 100} {
		b.Run("grpc_ingest_batch_"+strconv.Itoa(batch), func(b *testing.B) {
			conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			client := collectorv1.NewCollectorServiceClient(conn)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+grpcKey)
			parallel(b, func() {
				events := make([]*eventv1.Event, batch)
				for i := range events {
					events[i] = &eventv1.Event{SiteId: "site-a", Name: "page_view",
						Page:   &eventv1.Page{Url: "http://shop.example/pricing", Referrer: "https://www.google.com/", Title: "Pricing"},
						Client: &eventv1.ClientContext{UserAgent: chromeUA, Locale: "en-GB", TimeZone: "Europe/London", ScreenWidth: 1280, ScreenHeight: 800}}
				}
				resp, err := client.Ingest(ctx, &collectorv1.IngestRequest{Events: events})
				if err != nil || int(resp.GetAcceptedCount()) != batch {
					b.Errorf("ingest: %v (accepted %d)", err, resp.GetAcceptedCount())
				}
			}, batch)
		})
	}
}

// parallel runs call from benchConcurrency goroutines until b.N calls are done,
// and reports the events per second (perCall events each call).
func parallel(b *testing.B, call func(), perCall int) {
	b.Helper()
	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	done := make(chan struct{})
	start := time.Now()
	b.ResetTimer()
	for range benchConcurrency {
		go func() {
			defer func() { done <- struct{}{} }()
			for range work {
				call()
			}
		}()
	}
	for range benchConcurrency {
		<-done
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*perCall)/elapsed.Seconds(), "events/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N)*1e6*benchConcurrency, "us/call")
}
