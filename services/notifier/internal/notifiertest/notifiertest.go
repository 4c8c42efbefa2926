// Package notifiertest runs the notifier against the real local stack for
// tests: its own topic, consumer group, database and ports, and helpers to
// produce events, call the API and receive webhooks.
package notifiertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	notifierv1 "github.com/footprint/footprint/gen/footprint/notifier/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/services/notifier/internal/app"
	"github.com/footprint/footprint/services/notifier/internal/config"
)

// Key is the API key of site Site in every test environment.
const (
	Key  = "test-key"
	Site = "demo"
)

// Env is one test's isolated resources on the stack.
type Env struct {
	T        testing.TB
	Brokers  string
	Topic    string
	DLQTopic string // webhook dead letters
	Group    string
	PGURL    string // superuser URL of the test's own database
	GRPCAddr string
	Admin    string
	producer *kafka.Producer
}

// New creates a topic (3 partitions), a webhook DLQ topic and a database.
func New(t testing.TB) *Env {
	t.Helper()
	e := &Env{T: t, Brokers: testenv.KafkaBrokers(t)}
	e.Topic = testenv.NewTopic(t, e.Brokers, 3)
	e.DLQTopic = testenv.NewTopic(t, e.Brokers, 1)
	e.Group = testenv.UniqueName("notifier")
	admin := testenv.PostgresAdminURL(t)
	db := testenv.UniqueName("notifier")
	testenv.Isolated(t, "database "+db,
		func(ctx context.Context) error { return exec(ctx, admin, "CREATE DATABASE "+db) },
		func(ctx context.Context) error {
			return exec(ctx, admin, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		})
	e.PGURL = withDatabase(admin, db)
	e.GRPCAddr, e.Admin = testenv.FreeAddr(t), testenv.FreeAddr(t)
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": e.Brokers, "acks": "all", "linger.ms": 0})
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(p.Close)
	e.producer = p
	return e
}

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(url, db string) string {
	path := strings.LastIndex(url, "/")
	rest := ""
	if q := strings.IndexByte(url[path:], '?'); q >= 0 {
		rest = url[path+q:]
	}
	return url[:path+1] + db + rest
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// Env returns the notifier's environment variables for this Env.
func (e *Env) Env(rulesFile string) map[string]string {
	return map[string]string{
		"FOOTPRINT_KAFKA_BROKERS":                  e.Brokers,
		"FOOTPRINT_KAFKA_TOPIC":                    e.Topic,
		"FOOTPRINT_NOTIFIER_GROUP":                 e.Group,
		"FOOTPRINT_NOTIFIER_SESSION_TIMEOUT":       "6s",
		"FOOTPRINT_NOTIFIER_GRPC_ADDR":             e.GRPCAddr,
		"FOOTPRINT_ADMIN_ADDR":                     e.Admin,
		"FOOTPRINT_NOTIFIER_PG_URL":                e.PGURL,
		"FOOTPRINT_NOTIFIER_API_KEYS":              Key + "=" + Site,
		"FOOTPRINT_NOTIFIER_RULES_FILE":            rulesFile,
		"FOOTPRINT_NOTIFIER_DLQ_TOPIC":             e.DLQTopic,
		"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT":       "1s",
		"FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_INITIAL": "50ms",
		"FOOTPRINT_NOTIFIER_WEBHOOK_RETRY_MAX":     "200ms",
		"FOOTPRINT_NOTIFIER_WEBHOOK_LEASE":         "2s",
		"FOOTPRINT_LOG_LEVEL":                      "warn",
	}
}

// Start runs the notifier in-process until the test ends, with extra
// variables over Env's, and waits until it is ready.
func (e *Env) Start(rulesFile string, extra map[string]string) {
	t := e.T
	t.Helper()
	vars := e.Env(rulesFile)
	for k, v := range extra {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := config.FromEnv(getenv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: cfg.LogLevel}))
	go func() { done <- app.Run(ctx, cfg, getenv, logger) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("notifier: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("notifier did not stop")
		}
	})
	e.WaitReady(done)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// WaitReady polls /readyz until it answers 200 (or exited reports an exit).
func (e *Env) WaitReady(exited <-chan error) {
	t := e.T
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("notifier exited during start-up: %v", err)
		default:
		}
		resp, err := http.Get("http://" + e.Admin + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("notifier not ready within 60s")
}

// Metrics returns the admin /metrics text.
func (e *Env) Metrics() string {
	resp, err := http.Get("http://" + e.Admin + "/metrics")
	if err != nil {
		e.T.Fatalf("metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Action is one comment or like for Event.
type Action struct {
	Name      string // comment_created or like_created
	Actor     string // user id of the actor
	ActorName string
	Recipient string
	PostID    string
	Title     string
	At        time.Time // occurred_at; zero: now
	EventID   string    // zero: a new UUID
}

// Event builds the event of an action, as the collector would produce it.
func Event(a Action) *eventv1.Event {
	now := time.Now()
	at := a.At
	if at.IsZero() {
		at = now
	}
	id := a.EventID
	if id == "" {
		id = uuid.NewString()
	}
	props := map[string]string{"actor_name": a.ActorName, "post_id": a.PostID, "post_title": a.Title}
	if a.Recipient != "" {
		props["recipient_user_id"] = a.Recipient
	}
	return &eventv1.Event{EventId: id, SiteId: Site, Name: a.Name, UserId: a.Actor, VisitorId: "v-" + a.Actor,
		OccurredAt: timestamppb.New(at), ReceivedAt: timestamppb.New(now), Properties: props}
}

// Produce sends events to the topic and waits for the acknowledgements.
func (e *Env) Produce(events ...*eventv1.Event) {
	t := e.T
	t.Helper()
	ch := make(chan kafka.Event, len(events))
	for _, ev := range events {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		err = e.producer.Produce(&kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &e.Topic, Partition: kafka.PartitionAny},
			Key:            wire.MessageKey(ev.GetSiteId(), ev.GetVisitorId()), Value: b,
		}, ch)
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	for range events {
		if m := (<-ch).(*kafka.Message); m.TopicPartition.Error != nil {
			t.Fatalf("produce: %v", m.TopicPartition.Error)
		}
	}
}

// Client is a NotificationService client with the test key.
func (e *Env) Client() notifierv1.NotificationServiceClient {
	conn, err := grpc.NewClient(e.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = conn.Close() })
	return notifierv1.NewNotificationServiceClient(conn)
}

// Authed returns ctx carrying the test key.
func Authed(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+Key)
}

// Eventually polls cond every 50 ms until it returns "" or the timeout
// passes, then fails with cond's last message.
func Eventually(t testing.TB, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// List returns every notification of user (newest change first).
func (e *Env) List(user string) []*notifierv1.Notification {
	e.T.Helper()
	var out []*notifierv1.Notification
	token := ""
	for {
		resp, err := e.Client().ListNotifications(Authed(context.Background()),
			&notifierv1.ListNotificationsRequest{SiteId: Site, UserId: user, PageToken: token, PageSize: 200})
		if err != nil {
			e.T.Fatalf("list: %v", err)
		}
		out = append(out, resp.GetNotifications()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// Query runs a query on the test database and returns one int64.
func (e *Env) Query(sql string, args ...any) int64 {
	e.T.Helper()
	conn, err := pgx.Connect(context.Background(), e.PGURL)
	if err != nil {
		e.T.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.T.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Describe prints notifications for failure messages.
func Describe(list []*notifierv1.Notification) string {
	var b strings.Builder
	for _, n := range list {
		fmt.Fprintf(&b, "[%d seq %d %q actors %d] ", n.GetId(), n.GetSequence(), n.GetText(), n.GetActorCount())
	}
	return b.String()
}
