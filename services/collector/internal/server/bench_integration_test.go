package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/services/collector/internal/config"
)

// BenchmarkIngest measures Ingest against the real broker, end to end
// (gRPC, validation, enrichment, produce, acks=all), with parallel clients,
// next to a raw producer sending the same events straight to Kafka with the
// collector's producer settings, in the same run. One op is one event;
// compare the events/s of each batch size with raw's.
//
//	go test -run '^$' -bench Ingest -benchtime 100000x ./internal/server/
func BenchmarkIngest(b *testing.B) {
	brokers := testenv.KafkaBrokers(b)
	topic := testenv.NewTopic(b, brokers, 6)
	c := startCollector(b, brokers, topic, func(cfg *config.Config) {
		// FOOTPRINT_BENCH_LINGER tries another linger.ms without a rebuild.
		if v := os.Getenv("FOOTPRINT_BENCH_LINGER"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Kafka.Linger = d
		}
	})
	b.Run("raw", func(b *testing.B) { benchRawProducer(b, brokers, topic) })
	for _, clients := range []struct{ n, batch int }{{4, 1000}, {64, 100}, {256, 1}} {
		b.Run(fmt.Sprintf("clients=%d/batch=%d", clients.n, clients.batch), func(b *testing.B) {
			ctx := withKey(context.Background(), keyA)
			calls := int64(max(b.N/clients.batch, 1))
			var next atomic.Int64
			errc := make(chan error, clients.n)
			b.ResetTimer()
			cpu0 := processCPU(b)
			for w := range clients.n {
				go func() {
					req := &collectorv1.IngestRequest{Events: ingestEvents(w, clients.batch)}
					for next.Add(1) <= calls {
						if _, err := c.client.Ingest(ctx, req); err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
			}
			var errs []error
			for range clients.n {
				errs = append(errs, <-errc)
			}
			if err := errors.Join(errs...); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(calls)*float64(clients.batch)/b.Elapsed().Seconds(), "events/s")
			reportCPU(b, cpu0, int(calls)*clients.batch)
		})
	}
}

// ingestEvents are what a client sends: ids, site, page with and without
// a campaign, a real user agent; the collector fills the rest.
func ingestEvents(client, n int) []*eventv1.Event {
	events := make([]*eventv1.Event, n)
	for i := range events {
		url := fmt.Sprintf("https://shop.example.com/p/%d", i%16)
		if i%3 == 0 {
			url += "?utm_source=newsletter&utm_medium=email"
		}
		events[i] = &eventv1.Event{
			EventId: uuid.NewString(), SiteId: "site-a", VisitorId: fmt.Sprintf("%d-%d", client, i%1000),
			HttpMethod: "GET", Page: &eventv1.Page{Url: url, Referrer: "https://www.google.com/"},
			Client: &eventv1.ClientContext{UserAgent: chromeWindows, Locale: "en-US", ScreenWidth: 1920, ScreenHeight: 1080},
		}
	}
	return events
}

// benchRawProducer sends b.N encoded events (as the collector would write
// them) with the collector's producer settings, keeping up to 100k in flight.
func benchRawProducer(b *testing.B, brokers, topic string) {
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers": brokers, "enable.idempotence": true, "acks": "all",
		"compression.type": "zstd", "linger.ms": 5, "batch.size": 1 << 20,
		"go.delivery.report.fields": "none",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	headers := []kafka.Header{
		{Key: wire.HeaderContentType, Value: []byte(wire.ContentTypeProtobuf)},
		{Key: wire.HeaderSchema, Value: []byte(wire.SchemaEvent)},
		{Key: wire.HeaderSchemaVersion, Value: []byte(wire.SchemaVersion)},
	}
	events := ingestEvents(0, 1000)
	values := make([][]byte, len(events))
	for i, ev := range events {
		ev.Enrichment = &eventv1.Enrichment{Browser: "Chrome", BrowserVersion: "126.0.0.0", Os: "Windows", OsVersion: "10"}
		if values[i], err = proto.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
	reports := make(chan kafka.Event, 100_000)
	slots := make(chan struct{}, 100_000)
	done := make(chan error, 1)
	b.ResetTimer()
	cpu0 := processCPU(b)
	go func() {
		for range b.N {
			ev := <-reports
			if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error != nil {
				done <- m.TopicPartition.Error
				return
			}
			<-slots
		}
		done <- nil
	}()
	for i := range b.N {
		slots <- struct{}{}
		ev := events[i%len(events)]
		for {
			err := p.Produce(&kafka.Message{
				TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
				Key:            wire.MessageKey(ev.SiteId, ev.VisitorId), Value: values[i%len(values)], Headers: headers,
			}, reports)
			var kerr kafka.Error
			if err == nil || !errors.As(err, &kerr) || kerr.Code() != kafka.ErrQueueFull {
				if err != nil {
					b.Fatal(err)
				}
				break
			}
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, cpu0, b.N)
}

// processCPU is the CPU time this process (clients, collector, librdkafka)
// has used. On a shared machine CPU per event varies much less than events
// per second, so compare it too.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration, events int) {
	b.ReportMetric(float64((processCPU(b)-since).Microseconds())/float64(events), "cpu-us/event")
}
