package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// benchAgents are real user agents of the kinds the bench sends (one a bot).
var benchAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
}

// benchEvents is a mix like the bench's generator: UTM query strings,
// referrers, properties, server-side HTTP fields on half of them.
func benchEvents(n int) []*eventv1.Event {
	events := make([]*eventv1.Event, n)
	for i := range events {
		ev := &eventv1.Event{
			EventId:   fmt.Sprintf("0193a5b2-7c4d-4e8f-9a0b-%012x", i+1),
			SiteId:    "site-a",
			VisitorId: fmt.Sprintf("visitor-%d", i%5000),
			Page: &eventv1.Page{
				Url:   fmt.Sprintf("https://shop.example.com/products/%d", i%16),
				Title: "Product",
			},
			Client: &eventv1.ClientContext{
				UserAgent: benchAgents[i%len(benchAgents)], Locale: "en-US", ScreenWidth: 1920, ScreenHeight: 1080,
				TimeZone: "Europe/Berlin",
			},
		}
		if i%3 == 0 {
			ev.Page.Url += "?utm_source=newsletter&utm_medium=email&utm_campaign=spring"
		}
		if i%4 == 0 {
			ev.Page.Referrer = "https://www.google.com/"
		}
		if i%2 == 0 {
			ev.HttpMethod, ev.HttpStatus, ev.DurationUs = "get", 200, 1234
			ev.Client.Ip = "203.0.113.7"
		}
		if i%5 == 0 {
			ev.Name = "comment_created"
			ev.Properties = map[string]string{"comment_id": fmt.Sprint(i), "post_id": "42"}
		}
		events[i] = ev
	}
	return events
}

// nullProducer acknowledges everything at once: the benchmark measures the
// collector's own CPU per event, without Kafka.
type nullProducer struct{}

func (nullProducer) ProduceBatch(context.Context, []producer.Message) error { return nil }

// BenchmarkPipelineCPU decodes an encoded IngestRequest with the server's
// codec, runs it through the pipeline and encodes the response, without
// Kafka: the collector's CPU and allocations per batch.
//
//	go test -run '^$' -bench PipelineCPU -benchmem ./internal/server/
func BenchmarkPipelineCPU(b *testing.B) {
	v, err := validate.New(validate.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	e, _, err := enrich.New(enrich.Config{VisitorIDSecret: "benchmark-visitor-secret"})
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry(), func() int { return 0 })
	if err != nil {
		b.Fatal(err)
	}
	p := NewPipeline(Deps{Validator: v, Enricher: e, Producer: nullProducer{}, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return fuzzNow }})
	opts := IngestOptions{Owns: func(string) bool { return true }, PeerIP: "127.0.0.1"}
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			body, err := proto.Marshal(&collectorv1.IngestRequest{Events: benchEvents(batch)})
			if err != nil {
				b.Fatal(err)
			}
			codec := tolerantCodec{}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				var req collectorv1.IngestRequest
				if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(body)}, &req); err != nil {
					b.Fatal(err)
				}
				res, err := p.Ingest(context.Background(), req.Events, opts)
				if err != nil || res.Rejected > 0 {
					b.Fatal(err, res.Results)
				}
				out, err := codec.Marshal(&collectorv1.IngestResponse{Results: res.Results})
				if err != nil {
					b.Fatal(err)
				}
				out.Free()
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
