package server_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
)

// BenchmarkIngest measures Ingest against the real broker, end to end
// (gRPC, validation, enrichment, produce, acks=all), with parallel clients.
// One op is one call of `batch` events; events/s is reported.
//
//	go test -run '^$' -bench Ingest -benchtime 5s ./internal/server/
func BenchmarkIngest(b *testing.B) {
	brokers := testenv.KafkaBrokers(b)
	topic := testenv.NewTopic(b, brokers, 3)
	c := startCollector(b, brokers, topic, nil)
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := withKey(context.Background(), keyA)
			var seq atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := &collectorv1.IngestRequest{}
					for range batch {
						req.Events = append(req.Events, &eventv1.Event{
							EventId: uuid.NewString(), SiteId: "site-a", VisitorId: fmt.Sprint(seq.Add(1) % 1000),
							Page:   &eventv1.Page{Url: "https://shop.example.com/p/1?utm_source=x"},
							Client: &eventv1.ClientContext{UserAgent: chromeWindows},
						})
					}
					if _, err := c.client.Ingest(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
