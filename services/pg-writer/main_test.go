package main

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/postgres"
	"github.com/footprint/footprint/store/storetest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestMain(m *testing.M) {
	sinktest.ChildMain(writer().Run) // the suite re-executes this binary as the writer
	os.Exit(m.Run())
}

// TestSinkSuite runs the shared writer suite against PostgreSQL.
func TestSinkSuite(t *testing.T) {
	sinktest.Run(t, pgTarget{})
}

type pgTarget struct{}

func (pgTarget) Name() string { return "pg_writer" }

func (pgTarget) StoreAddr(t *testing.T) string {
	u, err := url.Parse(testenv.PostgresAdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

type pgStore struct {
	url   string
	store *postgres.Store
}

// NewStore creates a unique database (dropped at the end) owned by the
// superuser; the writer creates its schema and tables in it.
func (pgTarget) NewStore(t *testing.T, writerAddr string) sinktest.Store {
	direct, err := url.Parse(storetest.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := postgres.DefaultConfig()
	cfg.URL = direct.String()
	s, err := postgres.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	writer := *direct
	writer.Host = writerAddr
	return &pgStore{url: writer.String(), store: s}
}

func (s *pgStore) Env() []string {
	return []string{"FOOTPRINT_PG_URL=" + s.url, "FOOTPRINT_PG_SCHEMA=footprint"}
}

func (s *pgStore) Counts(ctx context.Context) (int64, int64, error) { return s.store.Counts(ctx) }

func (s *pgStore) ReadEvent(ctx context.Context, id string) (*eventv1.Event, error) {
	return s.store.ReadEvent(ctx, id)
}

// Normalize states what PostgreSQL cannot keep: timestamptz has microsecond
// precision, and absent sub-messages read back as empty ones.
func (s *pgStore) Normalize(ev *eventv1.Event) *eventv1.Event {
	n := proto.Clone(ev).(*eventv1.Event)
	trunc := func(ts *timestamppb.Timestamp) *timestamppb.Timestamp {
		return timestamppb.New(ts.AsTime().Truncate(time.Microsecond))
	}
	n.OccurredAt, n.ReceivedAt = trunc(n.GetOccurredAt()), trunc(n.GetReceivedAt())
	fill(n)
	return n
}

func fill(n *eventv1.Event) {
	if n.Page == nil {
		n.Page = &eventv1.Page{}
	}
	if n.Client == nil {
		n.Client = &eventv1.ClientContext{}
	}
	if n.Utm == nil {
		n.Utm = &eventv1.Utm{}
	}
	if n.Enrichment == nil {
		n.Enrichment = &eventv1.Enrichment{}
	}
}
