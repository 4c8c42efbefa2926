package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/config"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// Test keys: keyA owns site-a and site-b, keyC owns site-c.
const (
	keyA          = "test_key_a"
	keyC          = "test_key_c"
	visitorSecret = "integration-test-visitor-secret"
)

// testClock is the collector's clock in tests: received_at is known exactly.
var testClock = time.Date(2026, 11, 26, 10, 30, 15, 123456000, time.UTC)

type collector struct {
	conn   *grpc.ClientConn
	client collectorv1.CollectorServiceClient
	prod   *producer.Producer
}

// startCollector runs the collector in-process on 127.0.0.1:0 against the
// given broker and topic, and stops it when the test ends.
func startCollector(t testing.TB, brokers, topic string, mutate func(*config.Config)) *collector {
	t.Helper()
	cfg := config.Default()
	cfg.Server.GRPCAddr = "127.0.0.1:0"
	cfg.Kafka.Brokers = brokers
	cfg.Kafka.Topic = topic
	cfg.Auth.Keys = keyA + "=site-a,site-b;" + keyC + "=site-c"
	cfg.Enrich.VisitorIDSecret = visitorSecret
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	keyring, err := auth.Load(cfg.Auth)
	if err != nil {
		t.Fatal(err)
	}
	validator, err := validate.New(cfg.Limits)
	if err != nil {
		t.Fatal(err)
	}
	enricher, _, err := enrich.New(cfg.Enrich)
	if err != nil {
		t.Fatal(err)
	}
	var prod *producer.Producer
	metrics, err := server.NewMetrics(prometheus.NewRegistry(), func() int { return prod.QueueLen() })
	if err != nil {
		t.Fatal(err)
	}
	prod, err = producer.New(cfg.Kafka, metrics, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg.Server, server.Deps{
		Validator: validator, Enricher: enricher, Producer: prod, Keyring: keyring, Metrics: metrics,
		Logger: logger, Now: func() time.Time { return testClock },
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", cfg.Server.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	creds := insecure.NewCredentials()
	if cfg.Server.TLSCertFile != "" {
		// The test certificate is self-signed: it is its own root.
		if creds, err = credentials.NewClientTLSFromFile(cfg.Server.TLSCertFile, ""); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		prod.Close(5 * time.Second)
	})
	return &collector{conn: conn, client: collectorv1.NewCollectorServiceClient(conn), prod: prod}
}

// withKey returns ctx carrying `authorization: Bearer key`.
func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// readTopic returns every message on the topic. It reads up to the high
// watermark of each partition taken at the start: after an OK answer every
// acknowledged event is below it, so no waiting for "nothing more" is needed.
func readTopic(t *testing.T, brokers, topic string) []*kafka.Message {
	t.Helper()
	consumer, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":  brokers,
		"group.id":           "unused-assign-only",
		"enable.auto.commit": false,
		"auto.offset.reset":  "earliest",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	md, err := consumer.GetMetadata(&topic, false, 10_000)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	var assign []kafka.TopicPartition
	remaining := map[int32]int64{}
	for _, p := range md.Topics[topic].Partitions {
		low, high, err := watermarks(consumer, topic, p.ID)
		if err != nil {
			t.Fatalf("watermarks: %v", err)
		}
		if high > low {
			remaining[p.ID] = high
			assign = append(assign, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.Offset(low)})
		}
	}
	if len(assign) == 0 {
		return nil
	}
	if err := consumer.Assign(assign); err != nil {
		t.Fatal(err)
	}
	var out []*kafka.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(remaining) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("reading %s: partitions %v not read to their end within 30s", topic, remaining)
		}
		ev := consumer.Poll(200)
		m, ok := ev.(*kafka.Message)
		if !ok {
			if e, isErr := ev.(kafka.Error); isErr && e.IsFatal() {
				t.Fatal(e)
			}
			continue
		}
		if m.TopicPartition.Error != nil {
			t.Fatalf("consume: %v", m.TopicPartition.Error)
		}
		high, reading := remaining[m.TopicPartition.Partition]
		if !reading || int64(m.TopicPartition.Offset) >= high {
			continue // produced after we started reading
		}
		out = append(out, m)
		if int64(m.TopicPartition.Offset)+1 >= high {
			delete(remaining, m.TopicPartition.Partition)
		}
	}
	return out
}

func metadataCtx(kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), kv...)
}

// rawMessage is a request sent as these exact bytes, valid protobuf or not.
type rawMessage []byte

// rawCodec sends rawMessage as is and decodes responses as protobuf.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(rawMessage))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}

// watermarks retries while a new topic's partition has no leader yet.
func watermarks(consumer *kafka.Consumer, topic string, partition int32) (low, high int64, err error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		low, high, err = consumer.QueryWatermarkOffsets(topic, partition, 5_000)
		if err == nil || time.Now().After(deadline) {
			return low, high, err
		}
		time.Sleep(100 * time.Millisecond) // retry interval of a poll with a deadline
	}
}
