package clickhouse

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/sink/sinktest"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/eventrow"
	"github.com/footprint/footprint/store/upkeep"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// newStore migrates a store in a unique database (created by the store
// itself, exercising ensureDatabase) and drops it at the end.
func newStore(t *testing.T) *Store { t.Helper(); return newStoreAt(t, math.MaxUint32) }

// newStoreAt is newStore migrated up to version only (an older schema, for
// the upgrade tests).
func newStoreAt(t *testing.T, version uint32) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr, cfg.Database = testenv.ClickHouseAddr(t), testenv.UniqueName("fp")
	s, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Isolated(t, "database "+cfg.Database, func(ctx context.Context) error { return s.migrateTo(ctx, version) },
		func(ctx context.Context) error { _ = s.Close(); return DropDatabase(ctx, cfg) })
	return s
}

func at(ev *eventv1.Event, ts time.Time) *eventv1.Event {
	ev.OccurredAt, ev.ReceivedAt = timestamppb.New(ts), timestamppb.New(ts.Add(time.Second))
	return ev
}

// The one duplicate the write path can leave (a crash between appending
// the events and their keys, then the redelivery) stays physically present
// until a merge, yet both dashboard query forms (count() FINAL,
// uniqExact(event_id)) see each event once; a later redelivery adds nothing.
func TestDedupBeforeMerges(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	// Keep the duplicate parts apart so the test proves FINAL/uniqExact,
	// not a lucky background merge.
	// Only this test's table: the server is shared.
	table := quoteIdent(s.cfg.Database) + ".events"
	if err := s.conn.Exec(ctx, "SYSTEM STOP MERGES "+table); err != nil {
		t.Fatalf("stop merges: %v", err)
	}
	t.Cleanup(func() { _ = s.conn.Exec(context.Background(), "SYSTEM START MERGES "+table) })
	var evs []*eventv1.Event
	for range 500 {
		evs = append(evs, sinktest.NewEvent("site"))
	}
	// A writer that crashed after appending the events and before their
	// keys, then the redelivered batch, then a later redelivery.
	if err := s.appendEvents(ctx, evs); err != nil {
		t.Fatalf("append: %v", err)
	}
	for range 2 {
		if err := s.WriteBatch(ctx, evs); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	var raw uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	t.Logf("raw rows before merges: %d", raw)
	rows, distinct, err := s.Counts(ctx)
	if err != nil || rows != 500 || distinct != 500 {
		t.Fatalf("count() FINAL = %d, uniqExact = %d (%v), want 500", rows, distinct, err)
	}
	if raw != 1000 {
		t.Fatalf("raw rows %d, want 1000: the duplicates must still be unmerged for this test to mean anything", raw)
	}
	// A typical dashboard query: page views per day for a site, before merges.
	var views uint64
	if err := s.conn.QueryRow(ctx, "SELECT uniqExact(event_id) FROM events WHERE site_id = ? AND occurred_at >= now() - 86400*61", "site").Scan(&views); err != nil {
		t.Fatal(err)
	}
	if views != 500 {
		t.Fatalf("dashboard sees %d events, want 500", views)
	}
}

// Retention drops whole monthly partitions.
func TestRetention(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.WriteBatch(ctx, []*eventv1.Event{
		at(sinktest.NewEvent("s"), now.AddDate(0, -5, 0)), at(sinktest.NewEvent("s"), now.AddDate(0, -1, 0)), at(sinktest.NewEvent("s"), now),
	}); err != nil {
		t.Fatal(err)
	}
	s.cfg.Upkeep.Keep = 2
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	if rows, _, _ := s.Counts(ctx); rows != 2 {
		t.Fatalf("%d rows after retention, want 2", rows)
	}
}

// Throughput of one default-sized batch (50k events): logged, not asserted.
func TestBatchThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := newStore(t)
	evs := make([]*eventv1.Event, 50_000)
	for i := range evs {
		evs[i] = sinktest.NewEvent("site")
	}
	start := time.Now()
	if err := s.WriteBatch(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("ch: 50000 events in %s = %.0f rows/s", d, 50000/d.Seconds())
}

// A batch goes to the server as several data blocks of one INSERT
// (blockRows each, appendColumns), and the server still stores it as one
// part per partition: many small parts would make ClickHouse merge
// constantly and, past parts_to_throw_insert, refuse inserts.
func TestBatchOfManyBlocksIsOnePart(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) // one monthly partition
	evs := make([]*eventv1.Event, 3*blockRows+1)
	for i := range evs {
		evs[i] = at(sinktest.NewEvent("site"), day.Add(time.Duration(i)*time.Second))
	}
	if err := s.WriteBatch(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]uint64{"events": uint64(len(evs)), KeysTable: uint64(len(evs))} {
		var parts, rows uint64
		if err := s.conn.QueryRow(ctx, "SELECT count(), sum(rows) FROM system.parts WHERE database = ? AND table = ? AND active",
			s.cfg.Database, table).Scan(&parts, &rows); err != nil {
			t.Fatal(err)
		}
		if parts != 1 || rows != want {
			t.Errorf("%s: %d active parts holding %d rows after one batch of %d events, want 1 part", table, parts, rows, want)
		}
	}
}

// The column table (columns.go) is the migrated events table: same names,
// same types, same order. A field added to one and not the other fails here.
// The key table's appended columns are the column table's keyTable entries.
func TestColumnsMatchMigrations(t *testing.T) {
	s := newStore(t)
	for table, declared := range map[string][]column{"events": columns, KeysTable: keyTable} {
		for _, d := range eventrow.ColumnDiff(migratedColumns(t, s, table), eventrow.Declarations(declared)) {
			t.Errorf("%s: %s", table, d)
		}
	}
}

// migratedColumns is table's columns as the server reports them, in order,
// except the MATERIALIZED ones: the server computes them, nothing appends
// them (the key table's id_prefix).
func migratedColumns(t *testing.T, s *Store, table string) []eventrow.Column {
	rows, err := s.conn.Query(context.Background(), "SELECT name, type FROM system.columns WHERE database = ? AND table = ? AND default_kind != 'MATERIALIZED'", s.cfg.Database, table)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var migrated []eventrow.Column
	for rows.Next() {
		var c eventrow.Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			t.Fatal(err)
		}
		migrated = append(migrated, c)
	}
	return migrated
}

// Every field written is read back exactly (nanoseconds included).
func TestWriteReadRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	ev := sinktest.NewEvent("site")
	empty := sinktest.NewEvent("site")
	empty.Properties = nil
	if err := s.WriteBatch(ctx, []*eventv1.Event{ev, empty}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*eventv1.Event{ev, empty} {
		got, err := s.ReadEvent(ctx, want.GetEventId())
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("read back\n got: %v\nwant: %v", got, want)
		}
	}
	if _, err := s.ReadEvent(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown event: %v, want ErrNotFound", err)
	}
}

// event_id alone is the identity: a retry clamped to another day (another
// sorting key, which ReplacingMergeTree would not collapse), or a copy with
// other fields, is not stored again, in a later batch or the same one; the
// first copy is the one kept, as in PostgreSQL.
func TestFirstCopyWins(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	first, inBatch := at(sinktest.NewEvent("site"), now), at(sinktest.NewEvent("site"), now.AddDate(0, 0, -20))
	if err := s.WriteBatch(ctx, []*eventv1.Event{first}); err != nil {
		t.Fatal(err)
	}
	upper := sinktest.OtherCopy(first, 1)
	upper.EventId = strings.ToUpper(upper.EventId)
	if err := s.WriteBatch(ctx, []*eventv1.Event{sinktest.OtherCopy(first, -3), inBatch, sinktest.OtherCopy(inBatch, 2), upper}); err != nil {
		t.Fatal(err)
	}
	var raw uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if rows, distinct, err := s.Counts(ctx); err != nil || rows != 2 || distinct != 2 || raw != 2 {
		t.Fatalf("counts %d/%d (%v), raw %d, want 2", rows, distinct, err, raw)
	}
	// Asked in upper case, answered in lower case.
	ids, err := s.StoredIDs(ctx, []string{strings.ToUpper(inBatch.GetEventId()), "00000000-0000-4000-8000-00000000000A"})
	if err != nil || len(ids) != 1 || ids[0] != inBatch.GetEventId() {
		t.Fatalf("StoredIDs = %v (%v), want only %s", ids, err, inBatch.GetEventId())
	}
	for _, want := range []*eventv1.Event{inBatch, first} {
		if got, err := s.ReadEvent(ctx, want.GetEventId()); err != nil || !proto.Equal(got, want) {
			t.Fatalf("kept\n%v (%v)\nwant the first copy\n%v", got, err, want)
		}
	}
}

// FOOTPRINT_CH_* apply over the defaults; invalid values are named errors.
func TestConfigFromEnv(t *testing.T) {
	vars := map[string]string{"FOOTPRINT_CH_USER": "footprint_writer", "FOOTPRINT_CH_PASSWORD": "pw", "FOOTPRINT_CH_RETENTION_MONTHS": "13"}
	cfg := DefaultConfig()
	if err := cfg.Vars().Apply(envconfig.Getenv(func(k string) string { return vars[k] })); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9000" || cfg.Database != "footprint" || cfg.User != "footprint_writer" || cfg.Password != "pw" || cfg.Upkeep.Keep != 13 {
		t.Fatalf("config %+v", cfg)
	}
	invalid := Config{Addr: "nohost"}
	for _, want := range []error{ErrAddr, ErrDatabase, upkeep.ErrEvery} {
		if !errors.Is(invalid.Validate(), want) {
			t.Errorf("%v is missing from %v", want, invalid.Validate())
		}
	}
}

// A database written before the key table existed (a clamped retry stored
// twice, on two days) is upgraded by the migrations (0002 fills event_keys,
// 0003 copies it into event_ids, 0004 drops it): every stored id has its key,
// and a later copy is not stored again.
func TestMigrationUpgradesExistingDatabase(t *testing.T) {
	s := newStoreAt(t, 1)
	ctx := context.Background()
	now := time.Now().UTC()
	first, other := at(sinktest.NewEvent("site"), now.AddDate(0, 0, -2)), at(sinktest.NewEvent("site"), now)
	if err := s.appendEvents(ctx, []*eventv1.Event{first, sinktest.OtherCopy(first, 1), other}); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	stored, err := s.StoredIDs(ctx, []string{first.GetEventId(), other.GetEventId()})
	if err != nil || len(stored) != 2 {
		t.Fatalf("keys after the upgrade: %v (%v), want both ids", stored, err)
	}
	if err := s.WriteBatch(ctx, []*eventv1.Event{sinktest.OtherCopy(first, 3)}); err != nil {
		t.Fatal(err)
	}
	var raw uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&raw); err != nil || raw != 3 {
		t.Fatalf("%d rows (%v): the legacy duplicate stays, nothing new is added", raw, err)
	}
}

// Counting distinct events stays fast when the ids share their first 8
// bytes (the benchmark generator's ids; UUIDv7 ids of one millisecond
// share 6): 18.16's uniqExact(event_id) hashes one raw half of the UUID and
// went quadratic on such ids (61 s for 503k rows, a bench drain's count
// never returned). 400k rows would take about a minute that way.
func TestCountsWithSharedIDPrefix(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const n = 400_000
	if err := s.conn.Exec(ctx, "INSERT INTO events (event_id, site_id, name, occurred_at) SELECT"+
		" toUUID(concat('c81732a8-2d6f-4bc0-8000-', substring(hex(toUInt64(number) + 281474976710656), 3, 12))), 'site', 'page_view', now()"+
		" FROM system.numbers LIMIT 400000"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	rows, distinct, err := s.Counts(cctx)
	if err != nil || rows != n || distinct != n {
		t.Fatalf("Counts = %d rows, %d distinct (%v); want %d of each within 20 s", rows, distinct, err, n)
	}
}

// A batch's id lookup reads only the key table's granules of the batch's
// time range: ids are UUIDv7 (the collector's and the SDKs'), and the table
// is sorted by their time prefix. Under the old layout (sorted by event_id,
// which 18.16 compares by its random last 8 bytes first) the same lookup read
// every key. The control lookup, with random (v4) ids, must read them all and
// hit the same row limit, which shows the limit bites.
func TestKeyLookupReadsOnlyTheBatchTimeRange(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const stored, limit = 200_000, 40_000
	start := time.Now().Add(-24 * time.Hour)
	evs := make([]*eventv1.Event, stored)
	for i := range evs {
		ms := start.Add(time.Duration(i) * 400 * time.Microsecond)
		evs[i] = &eventv1.Event{EventId: uuidV7(t, ms), OccurredAt: timestamppb.New(ms)}
	}
	if err := s.appendKeys(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.Exec(ctx, "OPTIMIZE TABLE "+KeysTable+" FINAL"); err != nil {
		t.Fatal(err)
	}
	recent := []string{evs[stored-1].GetEventId(), evs[stored-2].GetEventId()}
	for range 1000 {
		recent = append(recent, uuidV7(t, time.Now()))
	}
	limited := ch.Context(ctx, ch.WithSettings(ch.Settings{"max_rows_to_read": limit}))
	found, err := s.storedIDs(limited, recent)
	if err != nil {
		t.Fatalf("lookup of 1,002 recent ids in %d keys: %v (want at most %d rows read)", stored, err, limit)
	}
	if len(found) != 2 {
		t.Errorf("found %d of the ids, want the 2 stored ones", len(found))
	}
	// The control: the same keys and lookup under the old layout.
	if err := s.conn.Exec(ctx, "CREATE TABLE keys_by_id ENGINE = ReplacingMergeTree ORDER BY event_id AS SELECT event_id, occurred_at FROM "+KeysTable); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.Exec(ctx, "OPTIMIZE TABLE keys_by_id FINAL"); err != nil {
		t.Fatal(err)
	}
	ids, err := ext.NewTable("batch_ids", ext.Column("event_id", "String"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range recent {
		if err := ids.Append(id); err != nil {
			t.Fatal(err)
		}
	}
	var n uint64
	err = s.conn.QueryRow(ch.Context(limited, ch.WithExternalTable(ids)),
		"SELECT count() FROM keys_by_id WHERE event_id IN (SELECT toUUID(event_id) FROM batch_ids)").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), "Limit for rows") {
		t.Errorf("the old layout's lookup: %v (found %d); want its read of all %d keys to exceed the %d-row limit", err, n, stored, limit)
	}
}

// uuidV7 is a UUIDv7 (RFC 9562) of time at: 48 bits of Unix milliseconds,
// then the version, random bits, the variant and more random bits.
func uuidV7(t *testing.T, at time.Time) string {
	t.Helper()
	id, err := uuid.NewRandom()
	if err != nil {
		t.Fatal(err)
	}
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	id[6] = id[6]&0x0f | 0x70
	return id.String()
}

// Rebuild of a store still at migration 0002 (its keys in event_keys) leaves
// no key behind: 0003 would otherwise copy the old keys into event_ids, and
// the replay that follows a rebuild would skip those events.
func TestRebuildDropsAnOlderKeyTable(t *testing.T) {
	s := newStoreAt(t, 2)
	ctx := context.Background()
	if err := s.conn.Exec(ctx, "INSERT INTO event_keys (event_id, occurred_at) SELECT toUUID('0192f3a4-5b6c-7d8e-9f00-112233445566'), now()"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	var keys uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+KeysTable).Scan(&keys); err != nil || keys != 0 {
		t.Fatalf("%d keys after the rebuild (%v), want none", keys, err)
	}
	if old, err := s.tableExists(ctx, s.cfg.Database, "event_keys"); err != nil || old {
		t.Errorf("event_keys still exists after the rebuild (%v)", err)
	}
}
