package storetest

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/eventrow"
	"github.com/footprint/footprint/store/postgres"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// discard is the logger of stores a test opens to read what a writer wrote.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// storeHandle is a sinktest.Store over a store package: its env points the
// writer at the database, reads go through the package's own helpers.
type storeHandle struct {
	env []string
	sinktest.Reader
	normalize func(*eventv1.Event) *eventv1.Event
	raw       func(ctx context.Context, batchRows int) (int64, time.Duration, error)
}

func (h storeHandle) Env() []string                              { return h.env }
func (h storeHandle) Normalize(ev *eventv1.Event) *eventv1.Event { return h.normalize(ev) }

// RawLoad times a bulk load of the rows the writer stored (sinktest.RawLoader).
func (h storeHandle) RawLoad(ctx context.Context, batchRows int) (int64, time.Duration, error) {
	return h.raw(ctx, batchRows)
}

// withSubMessages is what every store reads back: an absent sub-message
// reads back as an empty one.
func withSubMessages(ev *eventv1.Event) *eventv1.Event {
	n, empty := proto.Clone(ev).(*eventv1.Event), eventrow.Empty()
	if n.Page == nil {
		n.Page = empty.Page
	}
	if n.Client == nil {
		n.Client = empty.Client
	}
	if n.Utm == nil {
		n.Utm = empty.Utm
	}
	if n.Enrichment == nil {
		n.Enrichment = empty.Enrichment
	}
	return n
}

// PostgresTarget is the shared writer suite's target for pg-writer.
type PostgresTarget struct{}

// Name is the writer label of pg-writer's metrics.
func (PostgresTarget) Name() string { return "pg_writer" }

// StoreAddr is the real PostgreSQL's host:port.
func (PostgresTarget) StoreAddr(t *testing.T) string {
	u, err := url.Parse(testenv.PostgresAdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// NewStore creates a unique database (dropped at the end) owned by the
// superuser; the writer, reaching it at writerAddr, creates its schema and
// tables in it.
func (PostgresTarget) NewStore(t *testing.T, writerAddr string) sinktest.Store {
	direct, err := url.Parse(PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := postgres.DefaultConfig()
	cfg.URL = direct.String()
	s, err := postgres.Open(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	viaWriter := *direct
	viaWriter.Host = writerAddr
	return storeHandle{env: []string{"FOOTPRINT_PG_URL=" + viaWriter.String(), "FOOTPRINT_PG_SCHEMA=" + cfg.Schema}, Reader: s,
		// PostgreSQL keeps microseconds.
		normalize: func(ev *eventv1.Event) *eventv1.Event {
			n := withSubMessages(ev)
			n.OccurredAt = timestamppb.New(n.GetOccurredAt().AsTime().Truncate(time.Microsecond))
			n.ReceivedAt = timestamppb.New(n.GetReceivedAt().AsTime().Truncate(time.Microsecond))
			return n
		},
		raw: func(ctx context.Context, _ int) (int64, time.Duration, error) {
			return rawPostgres(ctx, direct.String(), cfg.Schema)
		}}
}

// ClickHouseTarget is the shared writer suite's target for ch-writer.
type ClickHouseTarget struct{}

// Name is the writer label of ch-writer's metrics.
func (ClickHouseTarget) Name() string { return "ch_writer" }

// StoreAddr is the real ClickHouse's native address.
func (ClickHouseTarget) StoreAddr(t *testing.T) string { return testenv.ClickHouseAddr(t) }

// NewStore creates a unique database (dropped at the end); the writer,
// reaching the server at writerAddr, creates its tables in it. ClickHouse
// keeps every field exactly (nanoseconds in their own column).
func (ClickHouseTarget) NewStore(t *testing.T, writerAddr string) sinktest.Store {
	cfg := ClickHouseDB(t)
	s, err := clickhouse.Open(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return storeHandle{env: []string{
		"FOOTPRINT_CH_ADDR=" + writerAddr, "FOOTPRINT_CH_DATABASE=" + cfg.Database, "FOOTPRINT_CH_USER=" + cfg.User, "FOOTPRINT_CH_PASSWORD=",
	}, Reader: s, normalize: withSubMessages,
		raw: func(ctx context.Context, batchRows int) (int64, time.Duration, error) {
			return rawClickHouse(ctx, cfg, batchRows)
		}}
}
