// Package sinktest is the one integration suite both writers run on the real
// stack (Kafka, PostgreSQL, ClickHouse). A writer's test implements Target
// and calls Run; the suite runs the writer binary as a child process (the
// test binary re-executed, see ChildMain), so it can SIGTERM or kill -9 it.
//
// Every scenario uses its own topic, DLQ topic, consumer group and database.
package sinktest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
)

// Target is what a writer's test provides.
type Target interface {
	// Name is the writer name: pg_writer or ch_writer (metric prefix).
	Name() string
	// StoreAddr is the host:port of the real store (skips or fails the test
	// via testenv when the store is not running).
	StoreAddr(t *testing.T) string
	// NewStore creates an isolated store (a unique database, dropped when
	// the test ends). The writer will reach it at writerAddr (the real
	// address or a proxy in front of it); the returned handle reads it
	// directly.
	NewStore(t *testing.T, writerAddr string) Store
}

// Reader is what the suite reads of a store: the store packages' own
// read helpers.
type Reader interface {
	// Counts returns the rows and the distinct event ids a dashboard query
	// sees. Errors (for example the table does not exist yet) are retried.
	Counts(ctx context.Context) (rows, distinct int64, err error)
	// ReadEvent reads one stored event back.
	ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error)
}

// Store is a handle on one isolated store.
type Store interface {
	Reader
	// Env returns the FOOTPRINT_* variables that point the writer at the store.
	Env() []string
	// Normalize returns what the store can keep of ev (for example
	// PostgreSQL keeps microseconds), to compare with ReadEvent by proto.Equal.
	Normalize(ev *eventv1.Event) *eventv1.Event
}

const childEnv = "FOOTPRINT_SINKTEST_CHILD"

// ChildMain must be called first in the writer's TestMain. When the suite
// started the test binary as a writer process it runs the writer (run is
// the writer's main logic) and exits with its status; otherwise it returns.
func ChildMain(run func(ctx context.Context, getenv func(string) string, stderr io.Writer) error) {
	if os.Getenv(childEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Main is a writer's whole TestMain: the child process (see ChildMain) or
// the test run.
func Main(m *testing.M, run func(ctx context.Context, getenv func(string) string, stderr io.Writer) error) {
	ChildMain(run)
	os.Exit(m.Run())
}

// Run runs every scenario against the target. The scenarios are
// independent (each has its own topics, consumer group, database and writer
// processes), so they run in parallel; the throughput measurement, when
// asked for, runs alone afterwards.
func Run(t *testing.T, target Target) {
	t.Run("checks", func(t *testing.T) {
		for _, sc := range []struct {
			name string
			run  func(*testing.T, Target)
		}{
			{"DistinctEventsIntact", testDistinctEventsIntact},
			{"Poison", testPoison},
			{"TwoReplicas", testTwoReplicas},
			{"Kill9", testKill9},
			{"StoreOutage", testStoreOutage},
			{"FirstCopyWins", testFirstCopyWins},
			{"OversizeDeadLettered", testOversizeDeadLettered},
		} {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				sc.run(t, target)
			})
		}
	})
	// A measurement, not a check, so it is registered only when asked for
	// (the benchmark suite is where speed is compared).
	if n := throughputEvents(); n > 0 {
		t.Run("Throughput", func(t *testing.T) { testThroughput(t, target, n) })
	}
}

// env is one scenario's isolated Kafka resources.
type env struct {
	brokers, topic, dlq, group string
}

func newEnv(t *testing.T, partitions int) env {
	brokers := testenv.KafkaBrokers(t)
	return env{
		brokers: brokers,
		topic:   testenv.NewTopic(t, brokers, partitions),
		dlq:     testenv.NewTopic(t, brokers, 1),
		group:   testenv.UniqueName("sinktest"),
	}
}

func (e env) vars(store Store, batchMax int) []string {
	return append([]string{
		"FOOTPRINT_KAFKA_BROKERS=" + e.brokers,
		"FOOTPRINT_KAFKA_TOPIC=" + e.topic,
		"FOOTPRINT_KAFKA_DLQ_TOPIC=" + e.dlq,
		"FOOTPRINT_WRITER_GROUP=" + e.group,
		fmt.Sprintf("FOOTPRINT_WRITER_BATCH_MAX_EVENTS=%d", batchMax),
		"FOOTPRINT_WRITER_BATCH_MAX_WAIT=200ms",
		"FOOTPRINT_WRITER_RETRY_MAX=2s",
		"FOOTPRINT_WRITER_SESSION_TIMEOUT=6s",
		"FOOTPRINT_LOG_LEVEL=info",
	}, store.Env()...)
}

// startWriter runs the writer (this test binary in child mode) with vars, as
// a testenv.Process (stopped when the test ends).
func startWriter(t *testing.T, name string, vars []string) *testenv.Process {
	t.Helper()
	admin := testenv.FreeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), vars...), childEnv+"=1", "FOOTPRINT_ADMIN_ADDR="+admin)
	return testenv.StartTestProcess(t, name, cmd, admin)
}
