package beacon_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/beacon"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

const (
	shopOrigin = "http://shop.example"
	chromeUA   = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

// endpoint is the collector's two front ends in-process, wired as main wires them:
// the gRPC service and the HTTP beacon on the service's one ingest pipeline,
// producing to the test's own topic of the real broker.
type endpoint struct {
	url      string // http://127.0.0.1:port of the beacon
	grpcAddr string // CollectorService, key grpcKey owns site-a
	brokers  string
	topic    string
	beacon   *beacon.Server
}

const grpcKey = "beacon-test-key"

// startEndpoint runs the beacon for site-a (origin http://shop.example); mutate
// changes its configuration and the producer's. brokers overrides the real broker
// (a proxy in front of it, for outage tests) when not empty.
func startEndpoint(t testing.TB, brokers string, mutate func(*beacon.Config, *producer.Config)) *endpoint {
	t.Helper()
	return startEndpointAt(t, brokers, nil, mutate)
}

// startEndpointAt is startEndpoint with the rate limiters' clock (time.Now
// when nil): a stopped clock makes a limit test independent of how long
// its requests take.
func startEndpointAt(t testing.TB, brokers string, now func() time.Time, mutate func(*beacon.Config, *producer.Config)) *endpoint {
	t.Helper()
	real := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, real, 3)
	if brokers == "" {
		brokers = real
	}
	cfg := beacon.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Sites = "site-a=" + shopOrigin
	pcfg := producer.DefaultConfig()
	pcfg.Brokers, pcfg.Topic = brokers, topic
	if mutate != nil {
		mutate(&cfg, &pcfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	validator, err := validate.New(validate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	enricher, _, err := enrich.New(enrich.Config{VisitorIDSecret: "beacon-test-visitor-secret"})
	if err != nil {
		t.Fatal(err)
	}
	var prod *producer.Producer
	metrics, err := server.NewMetrics(reg, func() int { return prod.QueueLen() })
	if err != nil {
		t.Fatal(err)
	}
	if prod, err = producer.New(pcfg, metrics, logger); err != nil {
		t.Fatal(err)
	}
	grpcSrv, err := server.New(server.DefaultConfig(), server.Deps{
		Validator: validator, Enricher: enricher, Producer: prod, Metrics: metrics, Logger: logger,
		Keyring: auth.NewKeyring(map[string][]string{grpcKey: {"site-a"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := beacon.New(cfg, beacon.Deps{Pipeline: grpcSrv.Pipeline(), Registry: reg, Logger: logger, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 2)
	go func() { served <- b.Serve(ctx, lis, 5*time.Second) }()
	go func() { served <- grpcSrv.Serve(ctx, grpcLis) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
		prod.Close(5 * time.Second)
	})
	return &endpoint{url: "http://" + lis.Addr().String(), grpcAddr: grpcLis.Addr().String(), brokers: real, topic: topic, beacon: b}
}

// post sends body to the event path with the given headers (Origin, User-Agent
// and Content-Type default to an allowed browser's).
func (e *endpoint) post(t *testing.T, body string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/api/event", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("User-Agent", chromeUA)
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// events returns every event on the topic now. It reads each partition up to the
// high watermark taken at the start: after a 202 the event is below it, so there
// is nothing to wait for.
func (e *endpoint) events(t *testing.T) []*eventv1.Event {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers": e.brokers, "group.id": "unused-assign-only",
		"enable.auto.commit": false, "auto.offset.reset": "earliest",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []*eventv1.Event
	for p := int32(0); p < 3; p++ {
		high := watermark(t, c, e.topic, p)
		if high == 0 {
			continue
		}
		if err := c.Assign([]kafka.TopicPartition{{Topic: &e.topic, Partition: p, Offset: kafka.OffsetBeginning}}); err != nil {
			t.Fatal(err)
		}
		for read := int64(0); read < high; {
			m, err := c.ReadMessage(30 * time.Second)
			if err != nil {
				t.Fatalf("read partition %d: %v", p, err)
			}
			var ev eventv1.Event
			if err := proto.Unmarshal(m.Value, &ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, &ev)
			read = int64(m.TopicPartition.Offset) + 1
		}
	}
	return out
}

// watermark is the partition's high watermark, retried while a new topic's
// partition has no leader yet.
func watermark(t *testing.T, c *kafka.Consumer, topic string, partition int32) int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, high, err := c.QueryWatermarkOffsets(topic, partition, 5_000)
		if err == nil {
			return high
		}
		if time.Now().After(deadline) {
			t.Fatalf("watermarks of %s/%d: %v", topic, partition, err)
		}
		time.Sleep(100 * time.Millisecond) // retry interval of a poll with a deadline
	}
}
