package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/services/collector/internal/config"
)

// TestSIGTERMDuringLoad builds the binary, runs it against the real broker,
// loads it from several goroutines and sends SIGTERM mid-load. Every event of
// every call that returned OK must be on the topic, and the process must
// exit 0.
func TestSIGTERMDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the collector binary")
	}
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)

	bin := filepath.Join(t.TempDir(), "collector")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	grpcAddr := testenv.FreeAddr(t)
	p := startCollector(t, bin, brokers, topic, grpcAddr,
		"FOOTPRINT_LOG_LEVEL=info",
		// Its own port: a collector of the local stack may hold the default.
		"FOOTPRINT_COLLECTOR_HTTP_ADDR="+testenv.FreeAddr(t),
		"FOOTPRINT_COLLECTOR_API_KEYS=load_key=load",
		"FOOTPRINT_COLLECTOR_VISITOR_SECRET=sigterm-test-visitor-secret",
	)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := collectorv1.NewCollectorServiceClient(conn)
	checkHardening(t, client, p)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer load_key")

	const workers, batch, maxCallsPerWorker = 4, 20, 2000
	var (
		mu            sync.Mutex
		acknowledged  []string // event ids of calls that returned OK
		okCalls       atomic.Int64
		failedCalls   atomic.Int64
		terminated    atomic.Bool
		errsBeforeSig []error
		wg            sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for call := range maxCallsPerWorker {
				req := &collectorv1.IngestRequest{}
				for i := range batch {
					req.Events = append(req.Events, &eventv1.Event{
						EventId: uuid.NewString(), SiteId: "load", VisitorId: fmt.Sprintf("w%d-%d", w, i),
					})
				}
				callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
				_, err := client.Ingest(callCtx, req)
				cancel()
				if err == nil {
					okCalls.Add(1)
					mu.Lock()
					for _, ev := range req.Events {
						acknowledged = append(acknowledged, ev.EventId)
					}
					mu.Unlock()
					continue
				}
				failedCalls.Add(1)
				if !terminated.Load() {
					mu.Lock()
					errsBeforeSig = append(errsBeforeSig, fmt.Errorf("worker %d call %d: %w", w, call, err))
					mu.Unlock()
				}
				return // the collector is going away (or broken): stop this worker
			}
		}()
	}

	// SIGTERM once the load is well under way.
	loadDeadline := time.Now().Add(60 * time.Second)
	for okCalls.Load() < 40 {
		if time.Now().After(loadDeadline) {
			t.Fatalf("only %d calls succeeded within 60s", okCalls.Load())
		}
		time.Sleep(10 * time.Millisecond) // polling the load counter
	}
	okBefore := okCalls.Load()
	terminated.Store(true)
	if err := p.Stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v, want exit status 0 within 60s", err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, err := range errsBeforeSig {
		t.Errorf("call failed before SIGTERM: %v", err)
	}
	t.Logf("%d OK calls before SIGTERM, %d OK in total, %d failed after SIGTERM; %d acknowledged events",
		okBefore, okCalls.Load(), failedCalls.Load(), len(acknowledged))

	onTopic := map[string]bool{}
	for _, id := range readIDs(t, brokers, topic) {
		onTopic[id] = true
	}
	missing := 0
	for _, id := range acknowledged {
		if !onTopic[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events are not on the topic", missing, len(acknowledged))
	}
}

// startCollector starts the built collector on topic through the one
// process harness (testenv.Process: its log kept for a failed test, SIGTERM
// at the end) and waits until /readyz answers. env adds variables.
func startCollector(t testing.TB, bin, brokers, topic, grpcAddr string, env ...string) *testenv.Process {
	t.Helper()
	adminAddr := testenv.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(),
		"FOOTPRINT_KAFKA_BROKERS="+brokers, "FOOTPRINT_KAFKA_TOPIC="+topic,
		"FOOTPRINT_ADMIN_ADDR="+adminAddr, "FOOTPRINT_COLLECTOR_GRPC_ADDR="+grpcAddr), env...)
	p := testenv.StartTestProcess(t, "collector", cmd, adminAddr)
	if err := p.WaitReady(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkHardening checks, on the running binary, what main wires: pprof is
// off by default, a call with two authorization values is refused and
// counted by reason, and the JSON log has no raw librdkafka lines.
func checkHardening(t *testing.T, client collectorv1.CollectorServiceClient, p *testenv.Process) {
	t.Helper()
	if code := httpStatus(t, "http://"+p.AdminAddr+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ answered %d without FOOTPRINT_ADMIN_PPROF, want 404", code)
	}
	twoKeys := metadata.AppendToOutgoingContext(context.Background(),
		"authorization", "Bearer load_key", "authorization", "Bearer load_key")
	req := &collectorv1.IngestRequest{Events: []*eventv1.Event{{SiteId: "load"}}}
	if _, err := client.Ingest(twoKeys, req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("two authorization values: %v, want UNAUTHENTICATED", err)
	}
	if n, ok := p.Metric(context.Background(), `footprint_collector_auth_failures_total{reason="multiple"}`); !ok || n != 1 {
		t.Errorf("auth failure not counted by reason in /metrics: %v (found %v), want 1", n, ok)
	}
	for _, line := range strings.Split(strings.TrimSpace(p.Logs()), "\n") {
		if line != "" && !strings.HasPrefix(line, "{") {
			t.Errorf("log line is not JSON (librdkafka writing to stderr?): %q", line)
		}
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// readIDs returns the event ids of every message on the topic, reading each
// partition up to its high watermark.
func readIDs(t *testing.T, brokers, topic string) []string {
	t.Helper()
	consumer, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers": brokers, "group.id": "unused-assign-only", "enable.auto.commit": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	md, err := consumer.GetMetadata(&topic, false, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	high := map[int32]int64{}
	var assign []kafka.TopicPartition
	for _, p := range md.Topics[topic].Partitions {
		lo, hi, err := consumer.QueryWatermarkOffsets(topic, p.ID, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if hi > lo {
			high[p.ID] = hi
			assign = append(assign, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.Offset(lo)})
		}
	}
	if len(assign) == 0 {
		return nil
	}
	if err := consumer.Assign(assign); err != nil {
		t.Fatal(err)
	}
	var ids []string
	deadline := time.Now().Add(60 * time.Second)
	for len(high) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("partitions %v not read to the end within 60s", high)
		}
		m, ok := consumer.Poll(200).(*kafka.Message)
		if !ok {
			continue
		}
		hi, reading := high[m.TopicPartition.Partition]
		if !reading || int64(m.TopicPartition.Offset) >= hi {
			continue
		}
		var ev eventv1.Event
		if err := proto.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.EventId)
		if int64(m.TopicPartition.Offset)+1 >= hi {
			delete(high, m.TopicPartition.Partition)
		}
	}
	return ids
}

// TestHelpListsEveryVariable: collector -help (-h, --help) exits 0 listing
// every variable of the table with its default.
func TestHelpListsEveryVariable(t *testing.T) {
	c := config.Default()
	envconfigtest.Help(t, config.Vars(&c), func(args []string, stdout, stderr io.Writer) int {
		_, code := commandLine(args, stdout, stderr)
		return code
	})
}
