// Package stack creates the isolated resources a benchmark phase uses on the
// shared local stack (a unique topic, PostgreSQL database and ClickHouse
// database) and reads the versions the report shows.
package stack

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config holds the addresses of the shared stack.
type Config struct {
	// KafkaBrokers is the bootstrap server list.
	KafkaBrokers string
	// PostgresAdminURL is a superuser URL used to create and drop databases.
	PostgresAdminURL string
	// ClickHouseAddr is the native-protocol address (user default, no password).
	ClickHouseAddr string
}

// DefaultConfig matches deploy/local/stack.sh; the FOOTPRINT_TEST_* variables
// (the same ones internal/testenv reads) override it.
func DefaultConfig() Config {
	return Config{
		KafkaBrokers:     envOr("FOOTPRINT_TEST_KAFKA", "127.0.0.1:9092"),
		PostgresAdminURL: envOr("FOOTPRINT_TEST_POSTGRES", "postgres://postgres:postgres@127.0.0.1:5432/postgres"),
		ClickHouseAddr:   envOr("FOOTPRINT_TEST_CLICKHOUSE", "127.0.0.1:9000"),
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// UniqueName returns prefix_<12 hex digits>, valid as a Kafka topic,
// PostgreSQL and ClickHouse identifier.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// Stack is a connection to the shared stack that remembers what it created,
// so Cleanup removes exactly that.
type Stack struct {
	cfg      Config
	admin    *kafka.AdminClient
	topics   []string
	pgDBs    []string
	chDBs    []string
	Keep     bool
	pgAdmin  *pgxpool.Pool
	chAdmin  ch.Conn
	stackDir string
}

// Open connects to all three servers.
func Open(ctx context.Context, cfg Config) (*Stack, error) {
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": cfg.KafkaBrokers})
	if err != nil {
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	s := &Stack{cfg: cfg, admin: admin}
	if _, err := admin.GetMetadata(nil, false, 10_000); err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka at %s: %w", cfg.KafkaBrokers, err)
	}
	s.pgAdmin, err = pgxpool.New(ctx, cfg.PostgresAdminURL)
	if err == nil {
		err = s.pgAdmin.Ping(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.chAdmin, err = ch.Open(&ch.Options{Addr: []string{cfg.ClickHouseAddr}, Auth: ch.Auth{Username: "default"}})
	if err == nil {
		err = s.chAdmin.Ping(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("clickhouse at %s: %w", cfg.ClickHouseAddr, err)
	}
	return s, nil
}

// Config returns the stack addresses.
func (s *Stack) Config() Config { return s.cfg }

// Close drops the admin connections (not the resources; see Cleanup).
func (s *Stack) Close() {
	if s.chAdmin != nil {
		_ = s.chAdmin.Close()
	}
	if s.pgAdmin != nil {
		s.pgAdmin.Close()
	}
	if s.admin != nil {
		s.admin.Close()
	}
}

// NewTopic creates a unique topic with the given partition count.
func (s *Stack) NewTopic(ctx context.Context, prefix string, partitions int) (string, error) {
	name := UniqueName(prefix)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := s.admin.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: name, NumPartitions: partitions, ReplicationFactor: 1}},
		kafka.SetAdminOperationTimeout(20*time.Second))
	if err != nil {
		return "", fmt.Errorf("create topic %s: %w", name, err)
	}
	if res[0].Error.Code() != kafka.ErrNoError {
		return "", fmt.Errorf("create topic %s: %w", name, res[0].Error)
	}
	s.topics = append(s.topics, name, name+".dlq")
	return name, nil
}

// NewPostgresDB creates a unique database and returns its superuser URL.
func (s *Stack) NewPostgresDB(ctx context.Context, prefix string) (name, url string, err error) {
	name = UniqueName(prefix)
	if url, err = postgres.CreateDatabase(ctx, s.cfg.PostgresAdminURL, name); err != nil {
		return "", "", err
	}
	s.pgDBs = append(s.pgDBs, name)
	return name, url, nil
}

// NewClickHouseDB creates a unique database.
func (s *Stack) NewClickHouseDB(ctx context.Context, prefix string) (string, error) {
	name := UniqueName(prefix)
	if err := clickhouse.CreateDatabase(ctx, s.clickHouseDB(name)); err != nil {
		return "", err
	}
	s.chDBs = append(s.chDBs, name)
	return name, nil
}

// clickHouseDB is the store configuration of database name (user default).
func (s *Stack) clickHouseDB(name string) clickhouse.Config {
	cfg := clickhouse.DefaultConfig()
	cfg.Addr, cfg.Database = s.cfg.ClickHouseAddr, name
	return cfg
}

// ClickHouse returns the admin connection (user default).
func (s *Stack) ClickHouse() ch.Conn { return s.chAdmin }

// Cleanup drops every topic and database this Stack created, unless Keep.
func (s *Stack) Cleanup(ctx context.Context) error {
	if s.Keep {
		return nil
	}
	var errs []error
	if len(s.topics) > 0 {
		if _, err := s.admin.DeleteTopics(ctx, s.topics); err != nil {
			errs = append(errs, fmt.Errorf("delete topics: %w", err))
		}
	}
	for _, db := range s.pgDBs {
		errs = append(errs, postgres.DropDatabase(ctx, s.cfg.PostgresAdminURL, db))
	}
	for _, db := range s.chDBs {
		errs = append(errs, clickhouse.DropDatabase(ctx, s.clickHouseDB(db)))
	}
	s.topics, s.pgDBs, s.chDBs = nil, nil, nil
	return errors.Join(errs...)
}

// Versions are the server versions shown in the report.
type Versions struct {
	Kafka, Librdkafka, Postgres, ClickHouse string
}

// Versions asks each server for its version. Kafka has no version request in
// the admin API, so it is read from the broker jar of the local stack (or
// the pin in deploy/local/kafka/pom.xml).
func (s *Stack) Versions(ctx context.Context, repoRoot string) Versions {
	var v Versions
	_, v.Librdkafka = kafka.LibraryVersion()
	v.Kafka = kafkaVersion(repoRoot)
	var pg string
	if err := s.pgAdmin.QueryRow(ctx, "SHOW server_version").Scan(&pg); err == nil {
		v.Postgres = pg
	} else {
		v.Postgres = "unknown (" + err.Error() + ")"
	}
	var ch string
	if err := s.chAdmin.QueryRow(ctx, "SELECT version()").Scan(&ch); err == nil {
		v.ClickHouse = ch
	} else {
		v.ClickHouse = "unknown (" + err.Error() + ")"
	}
	return v
}

var jarVersion = regexp.MustCompile(`^kafka_2\.13-(.+)\.jar$`)

func kafkaVersion(repoRoot string) string {
	dir := filepath.Join(repoRoot, ".stack", "kafka", "libs")
	if d := os.Getenv("FOOTPRINT_STACK_DIR"); d != "" {
		dir = filepath.Join(d, "kafka", "libs")
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if m := jarVersion.FindStringSubmatch(e.Name()); m != nil {
				return m[1]
			}
		}
	}
	if pom, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "local", "kafka", "pom.xml")); err == nil {
		if m := regexp.MustCompile(`<kafka\.version>([^<]+)</kafka\.version>`).FindSubmatch(pom); m != nil {
			return string(m[1])
		}
	}
	return "unknown"
}

// CPUModel returns the CPU model name from /proc/cpuinfo.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// LoadAvg returns the 1, 5 and 15 minute load averages.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// OpenForRun is how a benchmark run starts: it finds the repository from
// the working directory and connects to the default stack, which removes
// what the run creates unless keep.
func OpenForRun(ctx context.Context, keep bool) (st *Stack, repoRoot string, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", fmt.Errorf("working directory: %w", err)
	}
	if repoRoot, err = RepoRoot(wd); err != nil {
		return nil, "", err
	}
	if st, err = Open(ctx, DefaultConfig()); err != nil {
		return nil, "", fmt.Errorf("local stack (start it with `make infra`): %w", err)
	}
	st.Keep = keep
	return st, repoRoot, nil
}

// RepoRoot walks up from dir to the folder holding go.work.
func RepoRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("absolute path: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.work above %s: %w", dir, os.ErrNotExist)
		}
		d = parent
	}
}
