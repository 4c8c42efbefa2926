package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/footprint/footprint/store/eventrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL event store.
type Store struct {
	cfg    Config
	pool   *pgxpool.Pool
	log    *slog.Logger
	events string // quoted schema.events
	keys   string // quoted schema.event_keys
	// insertNew moves the staged rows whose event_id is new into events.
	insertNew string
}

// Open connects (lazily: the pool dials on first use) with search_path set to
// the configured schema, so goose's version table lives there too.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse pg url: %w", err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	// Fail fast while the server is unreachable so the loop's backoff, not a
	// hanging dial, decides the pace.
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pg pool: %w", err)
	}
	s := &Store{cfg: cfg, pool: pool, log: logger,
		events: pgx.Identifier{cfg.Schema, "events"}.Sanitize(), keys: pgx.Identifier{cfg.Schema, "event_keys"}.Sanitize()}
	cols := strings.Join(eventrow.Names(columns), ", ")
	// The key insert skips ids stored already (by an earlier batch, a
	// redelivery, or a concurrent replica: the primary key serialises
	// them); only the staged rows of ids it inserted reach events.
	keyCols := strings.Join(keyColumns, ", ")
	s.insertNew = "WITH new AS (INSERT INTO " + s.keys + " (" + keyCols + ") SELECT " + keyCols + " FROM events_stage" +
		" ON CONFLICT (event_id) DO NOTHING RETURNING event_id)" +
		" INSERT INTO " + s.events + " (" + cols + ") SELECT " + cols + " FROM events_stage WHERE event_id IN (SELECT event_id FROM new)"
	return s, nil
}

// Close closes the pool. It returns nil; the error is there so both stores
// close alike.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Migrate creates the schema if needed and applies the embedded migrations
// under a PostgreSQL advisory lock, so replicas starting together are safe.
func (s *Store) Migrate(ctx context.Context) error { return s.migrateTo(ctx, goose.MaxVersion) }

// migrateTo applies the migrations up to version (tests start from an older
// schema to check that a migration upgrades an existing database).
func (s *Store) migrateTo(ctx context.Context, version int64) error {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations dir: %w", err)
	}
	return ApplyMigrations(ctx, s.pool, s.cfg.Schema, dir, version)
}

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// writeParts is how many connections write one batch at once, each a part
// of it in its own transaction: a COPY keeps one server process busy, and
// the writer's own decoding already overlaps the write, so a second part
// lets the server use a second core. The parts hold different event_ids
// (KeepFirst runs first), so they never wait on each other's keys. A batch
// is committed to Kafka only when every part is written; after a failure
// the whole batch is written again, and the parts already stored are
// skipped by their keys.
const writeParts = 2

// minPartEvents is the smallest part worth a connection of its own.
const minPartEvents = 1000

// WriteBatch stores the events whose event_id is not stored yet; of several
// copies of one event_id in the batch it keeps the first (eventrow.KeepFirst).
// A large batch is written in writeParts parts at once (writePart each).
func (s *Store) WriteBatch(ctx context.Context, events []*eventv1.Event) error {
	events = eventrow.KeepFirst(events)
	parts := min(writeParts, max(len(events)/minPartEvents, 1))
	if parts == 1 {
		return s.writePart(ctx, events)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := range parts {
		part := events[i*len(events)/parts : (i+1)*len(events)/parts]
		wg.Go(func() { errs[i] = s.writePart(ctx, part) })
	}
	wg.Wait()
	// errors.Join keeps sinkerr.ErrRejected visible: the sink then bisects
	// the batch down to the rejected event.
	return errors.Join(errs...)
}

// writePart stores events (distinct event_ids) in one transaction. The
// first delivery of a batch, by far the common case, holds no stored
// event_id, so the transaction COPYs the keys and then the events. Only
// when the key COPY meets a stored event_id (redelivery after a crash or
// rebalance, a client's retry) is it rolled back and the part written
// through the staging table, which skips the stored ids and costs about
// twice as much.
func (s *Store) writePart(ctx context.Context, events []*eventv1.Event) error {
	var failed error // a conversion error: the data, not the server
	copyIn := func(tx pgx.Tx, table pgx.Identifier, cols []column) error {
		_, err := tx.CopyFrom(ctx, table, eventrow.Names(cols), copySource(cols, events, &failed))
		if failed != nil {
			return fmt.Errorf("%w: %w", sinkerr.ErrRejected, failed)
		}
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := copyIn(tx, pgx.Identifier{s.cfg.Schema, "event_keys"}, keyTable); err != nil {
			return err
		}
		return copyIn(tx, pgx.Identifier{s.cfg.Schema, "events"}, columns)
	})
	if err == nil || errors.Is(err, sinkerr.ErrRejected) {
		return err
	}
	if !isUniqueViolation(err) {
		return classify(fmt.Errorf("copy: %w", err))
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Temp tables are per session and invisible to other writers; ON COMMIT
		// DELETE ROWS empties it without catalog churn for the next batch.
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS events_stage (LIKE "+s.events+" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		if err := copyIn(tx, pgx.Identifier{"events_stage"}, columns); err != nil {
			return classify(fmt.Errorf("copy to staging: %w", err))
		}
		if _, err := tx.Exec(ctx, s.insertNew); err != nil {
			return classify(fmt.Errorf("insert new events from staging: %w", err))
		}
		return nil
	})
}

// inTx runs f in a transaction and commits it when f succeeds.
func (s *Store) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports a duplicate key: an event that is stored already.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// classify marks errors caused by the data (SQLSTATE classes 22 data
// exception, 23 integrity constraint, 54 program limit such as an index row
// too large) as sinkerr.ErrRejected, so the loop isolates the event and sends it
// to the DLQ instead of retrying the batch forever.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		switch pgErr.Code[:2] {
		case "22", "23", "54":
			return fmt.Errorf("%w: %w", sinkerr.ErrRejected, err)
		}
	}
	return err
}

// ErrNotFound is returned by ReadEvent for an unknown event_id.
var ErrNotFound = errors.New("postgres store: event not found")

// ReadEvent reads one stored event back as a protobuf Event (for tests and
// tools). Sub-messages are always present, as the store cannot tell an empty
// one from a missing one.
func (s *Store) ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error) {
	ev := eventrow.Empty()
	dests, apply := scanTargets(ev)
	// events has no index on event_id; the kept copy's occurred_at in
	// event_keys narrows the search to its day's partition.
	err := s.pool.QueryRow(ctx, "SELECT "+strings.Join(eventrow.Names(columns), ", ")+" FROM "+s.events+
		" WHERE event_id = $1 AND occurred_at = (SELECT occurred_at FROM "+s.keys+" WHERE event_id = $1) LIMIT 1", eventID).Scan(dests...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	for _, f := range apply {
		if err := f(); err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
	}
	return ev, nil
}

// StoredIDs returns which of ids are stored (lower case), for tools and
// the benchmark's visibility poll. An id is recorded in the transaction that
// stores its event.
func (s *Store) StoredIDs(ctx context.Context, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT event_id::text FROM "+s.keys+" WHERE event_id = ANY($1::uuid[])", ids)
	if err != nil {
		return nil, fmt.Errorf("look up stored event ids: %w", err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up stored event ids: %w", err)
	}
	return stored, nil
}

// Counts returns the number of rows and of distinct event ids, as a
// dashboard query sees them.
func (s *Store) Counts(ctx context.Context) (rows, distinct int64, err error) {
	return s.counts(ctx, "", nil)
}

// SiteCounts is Counts for one site's events.
func (s *Store) SiteCounts(ctx context.Context, siteID string) (rows, distinct int64, err error) {
	return s.counts(ctx, " WHERE site_id = $1", []any{siteID})
}

func (s *Store) counts(ctx context.Context, where string, args []any) (rows, distinct int64, err error) {
	err = s.pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT event_id) FROM "+s.events+where, args...).Scan(&rows, &distinct)
	if err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	return rows, distinct, nil
}
