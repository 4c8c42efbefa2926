// Package testenv gives integration tests the addresses of the real local stack
// (started by `make up` / deploy/local/stack.sh) and isolated resources on it.
//
// When a server cannot be reached the test fails if CI=true or
// FOOTPRINT_REQUIRE_STACK=1 (as `make test` sets), and is skipped with a clear
// message otherwise, so `go test` on a laptop without the stack stays usable.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Defaults match deploy/local/stack.sh; the FOOTPRINT_TEST_* variables override them.
const (
	defaultKafka      = "127.0.0.1:9092"
	defaultPostgres   = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
	defaultClickHouse = "127.0.0.1:9000"
)

func stackRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("FOOTPRINT_REQUIRE_STACK") == "1"
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// require fails or skips the test when addr does not accept TCP connections.
func require(t testing.TB, what, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		_ = conn.Close()
		return
	}
	msg := what + " is not reachable at " + addr + " (" + err.Error() + "); start the stack with `make up`"
	if stackRequired() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// KafkaBrokers returns the bootstrap servers of the real broker (FOOTPRINT_TEST_KAFKA).
func KafkaBrokers(t testing.TB) string {
	t.Helper()
	brokers := env("FOOTPRINT_TEST_KAFKA", defaultKafka)
	require(t, "Kafka", strings.Split(brokers, ",")[0])
	return brokers
}

// PostgresAdminURL returns a superuser URL of the real PostgreSQL (FOOTPRINT_TEST_POSTGRES),
// for creating per-test databases.
func PostgresAdminURL(t testing.TB) string {
	t.Helper()
	url := env("FOOTPRINT_TEST_POSTGRES", defaultPostgres)
	require(t, "PostgreSQL", hostPort(url, "127.0.0.1:5432"))
	return url
}

// ClickHouseAddr returns the native-protocol address of the real ClickHouse
// (FOOTPRINT_TEST_CLICKHOUSE); the `default` user has no password there.
func ClickHouseAddr(t testing.TB) string {
	t.Helper()
	addr := env("FOOTPRINT_TEST_CLICKHOUSE", defaultClickHouse)
	require(t, "ClickHouse", addr)
	return addr
}

// hostPort extracts host:port from a postgres:// URL, falling back to def.
func hostPort(url, def string) string {
	at := strings.LastIndex(url, "@")
	if at < 0 {
		return def
	}
	rest := url[at+1:]
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		rest = rest[:slash]
	}
	if rest == "" {
		return def
	}
	return rest
}

// UniqueName returns prefix followed by a random suffix that is valid in Kafka
// topic, PostgreSQL and ClickHouse identifiers.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// NewTopic creates a topic with a unique name on the real broker and deletes it
// when the test ends.
func NewTopic(t testing.TB, brokers string, partitions int) string {
	t.Helper()
	name := UniqueName("test")
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": brokers})
	if err != nil {
		t.Fatalf("kafka admin client: %v", err)
	}
	t.Cleanup(admin.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := admin.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic: name, NumPartitions: partitions, ReplicationFactor: 1,
	}}, kafka.SetAdminOperationTimeout(20*time.Second))
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	if code := res[0].Error.Code(); code != kafka.ErrNoError {
		t.Fatalf("create topic %s: %v", name, res[0].Error)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, _ = admin.DeleteTopics(ctx, []string{name})
	})
	return name
}

// resourceTimeout bounds creating or dropping one isolated resource.
const resourceTimeout = 30 * time.Second

// Isolated creates a test's own resource (a database, for example) with
// create, failing the test when that fails, and removes it with drop when
// the test ends. Each call gets its own timeout.
func Isolated(t testing.TB, what string, create, drop func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), resourceTimeout)
	defer cancel()
	if err := create(ctx); err != nil {
		t.Fatalf("create %s: %v", what, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), resourceTimeout)
		defer cancel()
		if err := drop(ctx); err != nil {
			t.Logf("drop %s: %v", what, err)
		}
	})
}
