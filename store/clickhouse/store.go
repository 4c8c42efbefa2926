package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/footprint/footprint/store/eventrow"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the ClickHouse event store.
type Store struct {
	cfg    Config
	conn   driver.Conn
	log    *slog.Logger
	insert string
}

func options(cfg Config, database string) *ch.Options {
	return &ch.Options{
		// One address, or a list on a cluster (cluster.go).
		Addr:     addrs(cfg.Addr),
		Protocol: ch.Native, // HTTP fails against 18.16 (client_protocol_version)
		Auth:     ch.Auth{Database: database, Username: cfg.User, Password: cfg.Password},
		// Fail fast while the server is unreachable so the loop's backoff
		// decides the pace.
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
		Compression: &ch.Compression{Method: ch.CompressionLZ4},
	}
}

// Open prepares a connection to the configured database; it dials lazily,
// so it succeeds while the server is down. Migrate creates the database
// when it does not exist (through the default database, and only then: the
// writer role may see only its own).
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := ch.Open(options(cfg, cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	s := &Store{cfg: cfg, conn: conn, log: logger,
		insert: "INSERT INTO events (" + strings.Join(eventrow.Names(columns), ", ") + ")"}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

func (s *Store) ensureDatabase(ctx context.Context) error {
	err := s.conn.Ping(ctx)
	var ex *ch.Exception
	if err == nil || !errors.As(err, &ex) || ex.Code != 81 { // 81: UNKNOWN_DATABASE
		return err
	}
	if err := CreateDatabase(ctx, s.cfg); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

// Migrate applies the embedded migrations in version order and records each
// in schema_migrations. No migration library supports ClickHouse 18.16 (they
// need newer server features such as ALTER UPDATE or specific engines), so
// this small migrator is ours. Every migration is idempotent (IF NOT
// EXISTS), so two replicas starting at once cannot break the schema.
func (s *Store) Migrate(ctx context.Context) error { return s.migrateTo(ctx, math.MaxUint32) }

// migrateTo applies the migrations up to version (tests start from an older
// schema to check that a migration upgrades an existing database).
func (s *Store) migrateTo(ctx context.Context, target uint32) error {
	if err := s.ensureDatabase(ctx); err != nil {
		return err
	}
	if err := s.migrationExec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime
	) ENGINE = MergeTree ORDER BY version`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current uint32
	if err := s.conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.ParseUint(strings.SplitN(name, "_", 2)[0], 10, 32)
		if err != nil {
			return fmt.Errorf("migration %s: bad version: %w", name, err)
		}
		if uint32(v) <= current || uint32(v) > target {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if err := s.migrationExec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		// A native batch: 18.16 does not take INSERT ... VALUES with bound
		// parameters through Exec.
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := b.Append(uint32(v), name, time.Now().UTC()); err != nil {
			_ = b.Abort()
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		s.log.Info("applied migration", "version", v, "name", name)
	}
	return s.ensureDistributed(ctx)
}

// splitStatements drops comment lines and splits on semicolons that end a line.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// WriteBatch stores the events whose event_id is not stored yet; of several
// copies of one event_id in the batch it keeps the first (eventrow.KeepFirst).
// It looks the batch's ids up in the key table, appends the new events in one
// native INSERT block, then their keys. A failure between the two appends
// leaves events without keys: the retried batch appends the same rows again,
// identical copies that ReplacingMergeTree collapses.
func (s *Store) WriteBatch(ctx context.Context, events []*eventv1.Event) error {
	events = eventrow.KeepFirst(events)
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.GetEventId()
	}
	stored, err := s.storedIDs(ctx, ids)
	if err != nil {
		return err
	}
	fresh := make([]*eventv1.Event, 0, len(events))
	for _, ev := range events {
		if _, ok := stored[strings.ToLower(ev.GetEventId())]; !ok {
			fresh = append(fresh, ev)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := s.appendEvents(ctx, fresh); err != nil {
		return err
	}
	return s.appendKeys(ctx, fresh)
}

// StoredIDs returns which of ids are stored (lower case), for tools and
// the benchmark's visibility poll. An id is recorded once its event is.
func (s *Store) StoredIDs(ctx context.Context, ids []string) ([]string, error) {
	stored, err := s.storedIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.Collect(maps.Keys(stored)), nil
}

// KeysTable holds one row per stored event_id (migration 0003; event_keys
// before it, in PostgreSQL still).
const KeysTable = "event_ids"

// idPrefixOf is the key table's id_prefix (its MATERIALIZED expression in
// migration 0003) of the id text in column: the id's first 8 bytes as a
// big-endian number.
func idPrefixOf(column string) string {
	return "reinterpretAsUInt64(reverse(unhex(substring(replaceAll(" + column + ", '-', ''), 1, 16))))"
}

// storedIDs returns which of ids the key table holds, in lower case. The ids
// go to the server as an external table: a 50,000-id IN list would exceed
// max_query_size.
func (s *Store) storedIDs(ctx context.Context, batch []string) (map[string]struct{}, error) {
	ids, err := ext.NewTable("batch_ids", ext.Column("event_id", "String"))
	if err != nil {
		return nil, fmt.Errorf("batch ids table: %w", err)
	}
	for _, id := range batch {
		if err := ids.Append(id); err != nil {
			return nil, fmt.Errorf("batch ids table: %w", err)
		}
	}
	// (id_prefix, event_id) is the key table's sorting key: the ids' time
	// prefixes select the granules to read.
	rows, err := s.conn.Query(ch.Context(ctx, ch.WithExternalTable(ids)),
		"SELECT DISTINCT toString(event_id) FROM "+KeysTable+" WHERE (id_prefix, event_id) IN (SELECT "+idPrefixOf("event_id")+", toUUID(event_id) FROM batch_ids)")
	if err != nil {
		return nil, fmt.Errorf("look up stored event ids: %w", err)
	}
	defer func() { _ = rows.Close() }()
	stored := make(map[string]struct{})
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan stored event id: %w", err)
		}
		stored[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up stored event ids: %w", err)
	}
	return stored, nil
}

// appendEvents sends the events in one native INSERT block, built column by
// column.
func (s *Store) appendEvents(ctx context.Context, events []*eventv1.Event) error {
	batch, err := s.conn.PrepareBatch(ctx, s.insert)
	if err != nil {
		return fmt.Errorf("prepare batch: %w", err)
	}
	defer func() { _ = batch.Abort() }()
	if err := appendColumns(batch, columns, events); err != nil {
		return appendErr("append events", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	return nil
}

// appendKeys records the events' ids as stored.
func (s *Store) appendKeys(ctx context.Context, events []*eventv1.Event) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+KeysTable+" ("+strings.Join(eventrow.Names(keyTable), ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare keys: %w", err)
	}
	defer func() { _ = batch.Abort() }()
	if err := appendColumns(batch, keyTable, events); err != nil {
		return appendErr("append keys", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send keys: %w", err)
	}
	return nil
}

// appendErr wraps a failed appendColumns. A value the driver cannot
// convert means that event can never be stored: it is rejected, so the
// loop bisects the batch down to it and dead-letters it. A block that could
// not be sent is a store failure, retried like a failed send.
func appendErr(what string, err error) error {
	if errors.Is(err, errAppend) {
		return fmt.Errorf("%w: %s: %w", sinkerr.ErrRejected, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ErrNotFound is returned by ReadEvent for an unknown event_id.
var ErrNotFound = errors.New("clickhouse store: event not found")

// ReadEvent reads one stored event back (deduplicated with FINAL) as a
// protobuf Event, for tests and tools. Sub-messages are always present.
func (s *Store) ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+strings.Join(selectList(), ", ")+" FROM events FINAL WHERE event_id = toUUID(?) LIMIT 1", eventID)
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	defer func() { _ = rows.Close() }()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		return nil, ErrNotFound
	}
	ev := eventrow.Empty()
	dests, apply := scanTargets(ev)
	if err := rows.Scan(dests...); err != nil {
		return nil, fmt.Errorf("scan event: %w", err)
	}
	for _, f := range apply {
		f()
	}
	return ev, nil
}

// distinctIDs counts distinct event ids. Not uniqExact(event_id): 18.16
// hashes a UUID for uniqExact by one 64-bit half as it is (a trivial hash),
// so ids that share their first 8 bytes (the benchmark's generator, and
// UUIDv7 ids of one millisecond) pile into one hash chain and the count
// turns quadratic: 61 s for 503k such ids, where this form (the ids' text,
// hashed with SipHash) takes well under a second.
const distinctIDs = "uniqExact(toString(event_id))"

// Counts returns the rows a dashboard sees (count() with FINAL, correct
// before merges) and the distinct event ids (distinctIDs, also correct
// before merges). Both must be equal.
func (s *Store) Counts(ctx context.Context) (rows, distinct int64, err error) {
	// 18.16 needs a WHERE clause next to FINAL in some queries; 1 is true.
	return s.counts(ctx, "1")
}

// SiteCounts is Counts for one site's events.
func (s *Store) SiteCounts(ctx context.Context, siteID string) (rows, distinct int64, err error) {
	return s.counts(ctx, "site_id = ?", siteID)
}

func (s *Store) counts(ctx context.Context, where string, args ...any) (rows, distinct int64, err error) {
	var r, d uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events FINAL WHERE "+where, args...).Scan(&r); err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	if err := s.conn.QueryRow(ctx, "SELECT "+distinctIDs+" FROM events WHERE "+where, args...).Scan(&d); err != nil {
		return 0, 0, fmt.Errorf("count distinct events: %w", err)
	}
	return int64(r), int64(d), nil
}

// Maintain drops monthly partitions older than Upkeep.Keep months (0 keeps
// all), of the events and of their keys alike.
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if s.cfg.Upkeep.Keep == 0 {
		return nil
	}
	y, m, _ := now.UTC().Date()
	cutoff := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -s.cfg.Upkeep.Keep, 0)
	cut := uint32(cutoff.Year()*100 + int(cutoff.Month()))
	for _, table := range []string{"events", KeysTable} {
		if err := s.dropPartitionsBefore(ctx, table, cut); err != nil {
			return err
		}
	}
	return nil
}

// dropPartitionsBefore drops the table's monthly partitions (YYYYMM) below cut.
func (s *Store) dropPartitionsBefore(ctx context.Context, table string, cut uint32) error {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? AND active", s.cfg.Database, table)
	if err != nil {
		return fmt.Errorf("list partitions of %s: %w", table, err)
	}
	var old []string
	for rows.Next() {
		var part string
		if err := rows.Scan(&part); err != nil {
			_ = rows.Close()
			return fmt.Errorf("scan partition: %w", err)
		}
		if v, err := strconv.ParseUint(part, 10, 32); err == nil && uint32(v) < cut {
			old = append(old, part)
		}
	}
	_ = rows.Close()
	for _, part := range old {
		// Dropping a partition is a metadata operation: instant, no rewrite.
		if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION "+part); err != nil {
			return fmt.Errorf("drop partition %s of %s: %w", part, table, err)
		}
		s.log.Info("dropped partition past retention", "table", table, "partition", part)
	}
	return nil
}
