package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/storetest"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	sinktest.ChildMain(writer().Run) // the suite re-executes this binary as the writer
	os.Exit(m.Run())
}

// TestSinkSuite runs the shared writer suite against ClickHouse.
func TestSinkSuite(t *testing.T) {
	sinktest.Run(t, chTarget{})
}

type chTarget struct{}

func (chTarget) Name() string { return "ch_writer" }

func (chTarget) StoreAddr(t *testing.T) string { return testenv.ClickHouseAddr(t) }

type chStore struct {
	env   []string
	store *clickhouse.Store
}

// NewStore creates a unique database (dropped at the end); the writer creates
// its tables in it.
func (chTarget) NewStore(t *testing.T, writerAddr string) sinktest.Store {
	cfg := storetest.ClickHouseDB(t)
	s, err := clickhouse.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &chStore{store: s, env: []string{
		"FOOTPRINT_CH_ADDR=" + writerAddr, "FOOTPRINT_CH_DATABASE=" + cfg.Database, "FOOTPRINT_CH_USER=default", "FOOTPRINT_CH_PASSWORD=",
	}}
}

func (s *chStore) Env() []string { return s.env }

func (s *chStore) Counts(ctx context.Context) (int64, int64, error) { return s.store.Counts(ctx) }

func (s *chStore) ReadEvent(ctx context.Context, id string) (*eventv1.Event, error) {
	return s.store.ReadEvent(ctx, id)
}

// Normalize states what ClickHouse cannot keep: absent sub-messages read back
// as empty ones. Timestamps keep their nanoseconds (DateTime seconds plus a
// nanoseconds column).
func (s *chStore) Normalize(ev *eventv1.Event) *eventv1.Event {
	n := proto.Clone(ev).(*eventv1.Event)
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
	return n
}
