package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/url"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/eventrow"
	"github.com/footprint/footprint/store/upkeep"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// newDatabase creates a unique database and returns its superuser URL.
// (Other packages use storetest.PostgresDB, which imports this one.)
func newDatabase(t *testing.T) string {
	t.Helper()
	adminURL, name := testenv.PostgresAdminURL(t), testenv.UniqueName("fp")
	var url string
	testenv.Isolated(t, "database "+name,
		func(ctx context.Context) (err error) { url, err = CreateDatabase(ctx, adminURL, name); return err },
		func(ctx context.Context) error { return DropDatabase(ctx, adminURL, name) })
	return url
}

func open(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func partitions(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func count(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{s.cfg.Schema, table}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func at(ev *eventv1.Event, ts time.Time) *eventv1.Event {
	ev.OccurredAt, ev.ReceivedAt = timestamppb.New(ts), timestamppb.New(ts.Add(time.Second))
	return ev
}

// Migrations are idempotent, partitions are created ahead, rows outside
// them land in the default partition, and rewriting a batch stores nothing new.
func TestMigratePartitionsAndDedup(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	now := time.Now().UTC()
	if err := s.Maintain(context.Background(), now); err != nil {
		t.Fatalf("maintain: %v", err)
	}
	if err := s.Maintain(context.Background(), now); err != nil {
		t.Fatalf("maintain twice: %v", err)
	}
	parts := partitions(t, s)
	if len(parts) != cfg.PartitionsAhead+2 || !parts["events_default"] || !parts[partitionName(now.Truncate(24*time.Hour))] {
		t.Fatalf("partitions %v", parts)
	}
	var evs []*eventv1.Event
	for i := range 200 {
		ts := now.Add(-time.Duration(i) * time.Minute / 10) // today
		if i%2 == 1 {
			ts = now.AddDate(0, 0, -90) // before every partition
		}
		evs = append(evs, at(sinktest.NewEvent("site"), ts))
	}
	ctx := context.Background()
	for range 2 {
		if err := s.WriteBatch(ctx, append(evs, evs[:10]...)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	rows, distinct, err := s.Counts(ctx)
	if err != nil || rows != 200 || distinct != 200 {
		t.Fatalf("counts %d/%d (%v), want 200", rows, distinct, err)
	}
	if d := count(t, s, "events_default"); d != 100 {
		t.Fatalf("default partition holds %d, want 100", d)
	}
}

// Retention drops whole daily partitions and old rows of the default one.
func TestRetention(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	cfg.PartitionsAhead = 2
	s := open(t, cfg)
	ctx := context.Background()
	now := time.Now().UTC()
	old := now.AddDate(0, 0, -10)
	if err := s.Maintain(ctx, old); err != nil { // partitions from 10 days ago
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, []*eventv1.Event{
		at(sinktest.NewEvent("s"), old), at(sinktest.NewEvent("s"), now.AddDate(0, 0, -40)), at(sinktest.NewEvent("s"), now),
	}); err != nil {
		t.Fatal(err)
	}
	s.cfg.Upkeep.Keep = 5
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	parts := partitions(t, s)
	if parts[partitionName(old.Truncate(24*time.Hour))] {
		t.Fatalf("partition of 10 days ago survived retention: %v", parts)
	}
	if !parts[partitionName(now.Truncate(24*time.Hour))] {
		t.Fatalf("today's partition missing: %v", parts)
	}
	if rows, _, _ := s.Counts(ctx); rows != 1 {
		t.Fatalf("%d rows after retention, want today's 1", rows)
	}
	// Today's row was written before today's partition existed: Maintain
	// moved it out of the default partition.
	if n := count(t, s, partitionName(now.Truncate(24*time.Hour))); n != 1 {
		t.Fatalf("today's partition holds %d rows, want 1", n)
	}
}

// The least-privilege role of the local stack can migrate a schema it owns.
func TestMigrateAsWriterRole(t *testing.T) {
	super := newDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, super)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	u, _ := url.Parse(super)
	db := u.Path[1:]
	var hasRole bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'footprint_writer')").Scan(&hasRole); err != nil || !hasRole {
		t.Skip("role footprint_writer missing (created by deploy/local/stack.sh)")
	}
	for _, q := range []string{"CREATE SCHEMA footprint AUTHORIZATION footprint_writer", "GRANT CONNECT ON DATABASE " + db + " TO footprint_writer"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u.User = url.UserPassword("footprint_writer", "footprint_writer")
	cfg := DefaultConfig()
	cfg.URL = u.String()
	s := open(t, cfg)
	if err := s.Maintain(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, []*eventv1.Event{sinktest.NewEvent("s")}); err != nil {
		t.Fatal(err)
	}
}

// Throughput of one default-sized batch (50k events): logged, not asserted.
func TestBatchThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	ctx := context.Background()
	if err := s.Maintain(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	evs := make([]*eventv1.Event, 50_000)
	now := time.Now()
	for i := range evs {
		evs[i] = at(sinktest.NewEvent("site"), now.Add(-time.Duration(i)*time.Second))
	}
	start := time.Now()
	if err := s.WriteBatch(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("pg: 50000 events in %s = %.0f rows/s", d, 50000/d.Seconds())
}

// NUL characters (valid in protobuf, impossible in PostgreSQL text) are
// removed; a value PostgreSQL cannot index is reported as sinkerr.ErrRejected,
// so the loop dead-letters that one event instead of stalling.
func TestDataLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	ctx := context.Background()
	if err := s.Maintain(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	nul := sinktest.NewEvent("site")
	nul.Page.Title = "a\x00b"
	nul.Properties = map[string]string{"k\x00": "v\x00v"}
	if err := s.WriteBatch(ctx, []*eventv1.Event{nul}); err != nil {
		t.Fatalf("write with NUL: %v", err)
	}
	got, err := s.ReadEvent(ctx, nul.GetEventId())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPage().GetTitle() != "ab" || got.GetProperties()["k"] != "vv" {
		t.Fatalf("NULs not removed: %q %v", got.GetPage().GetTitle(), got.GetProperties())
	}
	huge := sinktest.NewEvent("site")
	huge.Page.Path = "/" + randomHex(8<<10) // 16 KiB that compress to no less than 8 KiB
	err = s.WriteBatch(ctx, []*eventv1.Event{huge})
	if !errors.Is(err, sinkerr.ErrRejected) {
		t.Fatalf("oversized index value: %v, want sinkerr.ErrRejected", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// The column table (columns.go) is the migrated events table: same names,
// same types, same order. A field added to one and not the other fails here.
func TestColumnsMatchMigrations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, s.events)
	if err != nil {
		t.Fatal(err)
	}
	migrated, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c eventrow.Column, err error) {
		return c, r.Scan(&c.Name, &c.Type)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range eventrow.ColumnDiff(migrated, eventrow.Declarations(columns)) {
		t.Error(d)
	}
}

// Every field written is read back as it was (PostgreSQL keeps microseconds).
func TestWriteReadRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	ctx := context.Background()
	ev := sinktest.NewEvent("site")
	ev.DurationUs = math.MaxUint64 // clamped to bigint's range
	if err := s.WriteBatch(ctx, []*eventv1.Event{ev}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadEvent(ctx, ev.GetEventId())
	if err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(ev).(*eventv1.Event)
	want.DurationUs = math.MaxInt64
	want.OccurredAt = timestamppb.New(ev.GetOccurredAt().AsTime().Truncate(time.Microsecond))
	want.ReceivedAt = timestamppb.New(ev.GetReceivedAt().AsTime().Truncate(time.Microsecond))
	if !proto.Equal(got, want) {
		t.Fatalf("read back\n got: %v\nwant: %v", got, want)
	}
	if _, err := s.ReadEvent(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown event: %v, want ErrNotFound", err)
	}
}

// event_id alone is the identity: a retry clamped to another day, or a copy
// with other fields, is not stored again, in a later batch or the same one;
// the first copy is the one kept. Retention deletes the keys with the events.
func TestFirstCopyWins(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s := open(t, cfg)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	first, inBatch := at(sinktest.NewEvent("site"), now), at(sinktest.NewEvent("site"), now.AddDate(0, 0, -20))
	if err := s.WriteBatch(ctx, []*eventv1.Event{first}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, []*eventv1.Event{sinktest.OtherCopy(first, -3), inBatch, sinktest.OtherCopy(inBatch, 2), sinktest.OtherCopy(first, 1)}); err != nil {
		t.Fatal(err)
	}
	if rows, distinct, err := s.Counts(ctx); err != nil || rows != 2 || distinct != 2 {
		t.Fatalf("counts %d/%d (%v), want 2", rows, distinct, err)
	}
	if ids, err := s.StoredIDs(ctx, []string{first.GetEventId(), "00000000-0000-4000-8000-000000000001"}); err != nil || len(ids) != 1 || ids[0] != first.GetEventId() {
		t.Fatalf("StoredIDs = %v (%v), want only %s", ids, err, first.GetEventId())
	}
	for _, want := range []*eventv1.Event{first, inBatch} {
		got, err := s.ReadEvent(ctx, want.GetEventId())
		if err != nil {
			t.Fatal(err)
		}
		if got.GetName() != want.GetName() || !got.GetOccurredAt().AsTime().Equal(want.GetOccurredAt().AsTime().Truncate(time.Microsecond)) {
			t.Fatalf("kept %s at %s, want the first copy %s at %s", got.GetName(), got.GetOccurredAt().AsTime(), want.GetName(), want.GetOccurredAt().AsTime())
		}
	}
	s.cfg.Upkeep.Keep = 10
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "event_keys"); n != 1 {
		t.Fatalf("%d keys after retention, want the one of today's event", n)
	}
}

// FOOTPRINT_PG_* apply over the defaults; invalid values are named errors.
func TestConfigFromEnv(t *testing.T) {
	env := envconfig.Getenv(func(k string) string {
		return map[string]string{"FOOTPRINT_PG_SCHEMA": "s1", "FOOTPRINT_PG_RETENTION_DAYS": "30", "FOOTPRINT_PG_MAINTENANCE_INTERVAL": "1m"}[k]
	})
	cfg := DefaultConfig()
	if err := errors.Join(cfg.Vars().Apply(env), cfg.Validate()); err != nil {
		t.Fatal(err)
	}
	if cfg.Schema != "s1" || cfg.Upkeep.Keep != 30 || cfg.Maintenance() != time.Minute || cfg.PartitionsAhead != 7 ||
		cfg.URL != "postgres://footprint_writer:footprint_writer@127.0.0.1:5432/footprint" {
		t.Fatalf("config %+v", cfg)
	}
	bad := Config{URL: "::", Upkeep: upkeep.Schedule{Keep: -1}}
	for _, want := range []error{ErrURL, ErrSchema, ErrPartitionsAhead, upkeep.ErrKeep, upkeep.ErrEvery} {
		if err := bad.Validate(); !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want it to contain %v", err, want)
		}
	}
}

// A database written before event_keys existed (a clamped retry stored
// twice) is upgraded by the new migration: one key per stored id, the
// earliest copy's time, and a later copy is not stored again.
func TestMigrationUpgradesExistingDatabase(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = newDatabase(t)
	s, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	if err := s.migrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	first, other := at(sinktest.NewEvent("site"), now.AddDate(0, 0, -2)), at(sinktest.NewEvent("site"), now)
	var rows [][]any
	for _, ev := range []*eventv1.Event{first, sinktest.OtherCopy(first, 1), other} {
		r, err := toRow(ev)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{cfg.Schema, "events"}, eventrow.Names(columns), pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	var keys int64
	var kept time.Time
	if err := s.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM "+s.keys+"), (SELECT occurred_at FROM "+s.keys+" WHERE event_id = $1)", first.GetEventId()).Scan(&keys, &kept); err != nil {
		t.Fatal(err)
	}
	if keys != 2 || !kept.Equal(first.GetOccurredAt().AsTime().Truncate(time.Microsecond)) {
		t.Fatalf("%d keys, first id kept at %s; want 2 keys, the first copy's time", keys, kept)
	}
	if err := s.WriteBatch(ctx, []*eventv1.Event{sinktest.OtherCopy(first, 3)}); err != nil {
		t.Fatal(err)
	}
	if n, d, err := s.Counts(ctx); err != nil || n != 3 || d != 2 {
		t.Fatalf("counts %d/%d (%v): the legacy duplicate stays, nothing new is added", n, d, err)
	}
	// 00003 dropped the events table's primary key, on every partition.
	var pkeys int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid"+
		" JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = $1 AND r.relname LIKE 'events%' AND c.contype = 'p'", cfg.Schema).Scan(&pkeys); err != nil {
		t.Fatal(err)
	}
	if pkeys != 0 {
		t.Fatalf("%d primary keys left on events and its partitions, want none", pkeys)
	}
	if got, err := s.ReadEvent(ctx, first.GetEventId()); err != nil || got.GetName() != first.GetName() {
		t.Fatalf("read back the kept copy: %v, %v", got, err)
	}
}
