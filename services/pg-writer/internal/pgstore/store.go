package pgstore

import (
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"google.golang.org/protobuf/types/known/timestamppb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Columns in the order of toRow; COPY and INSERT name them explicitly.
var columns = []string{
	"event_id", "site_id", "name", "occurred_at", "received_at", "visitor_id", "user_id", "session_id",
	"url", "path", "title", "referrer", "http_method", "http_status", "duration_us",
	"user_agent", "locale", "screen_width", "screen_height", "time_zone", "ip",
	"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "properties",
	"browser", "browser_version", "os", "os_version", "device_class", "is_bot", "referrer_host",
	"clock_clamped", "visitor_id_derived", "event_id_assigned",
}

// Store is the PostgreSQL event store.
type Store struct {
	cfg    Config
	pool   *pgxpool.Pool
	log    *slog.Logger
	events string // quoted schema.events
	insert string
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
	s := &Store{cfg: cfg, pool: pool, log: logger, events: pgx.Identifier{cfg.Schema, "events"}.Sanitize()}
	cols := strings.Join(columns, ", ")
	// ON CONFLICT DO NOTHING skips copies already stored by an earlier
	// (uncommitted, redelivered) batch and a second copy within the same
	// batch alike (DO NOTHING, unlike DO UPDATE, accepts both).
	s.insert = "INSERT INTO " + s.events + " (" + cols + ") SELECT " + cols +
		" FROM events_stage ON CONFLICT (event_id, occurred_at) DO NOTHING"
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool for tests and tools.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate creates the schema if needed and applies the embedded migrations
// under a PostgreSQL advisory lock, so replicas starting together are safe.
func (s *Store) Migrate(ctx context.Context) error {
	var exists bool
	// Checked first because CREATE SCHEMA IF NOT EXISTS still needs CREATE on
	// the database, which the least-privilege writer role does not have.
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", s.cfg.Schema).Scan(&exists); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if !exists {
		if _, err := s.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.cfg.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("goose locker: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations dir: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("goose provider: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// WriteBatch stores the events, skipping those already stored.
//
// The first delivery of a batch, by far the common case, holds no stored
// event, so one COPY straight into the table does it. Only when that COPY
// meets an event_id already stored (redelivery after a crash or rebalance, a
// client's retry) is the batch rolled back and written through the staging
// table with ON CONFLICT DO NOTHING, which costs about twice as much.
func (s *Store) WriteBatch(ctx context.Context, events []*eventv1.Event) error {
	rows := make([][]any, len(events))
	for i, ev := range events {
		r, err := toRow(ev)
		if err != nil {
			return fmt.Errorf("%w: %w", sink.ErrRejected, err)
		}
		rows[i] = r
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{s.cfg.Schema, "events"}, columns, pgx.CopyFromRows(rows))
		return err
	})
	if err == nil {
		return nil
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
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events_stage"}, columns, pgx.CopyFromRows(rows)); err != nil {
			return classify(fmt.Errorf("copy to staging: %w", err))
		}
		if _, err := tx.Exec(ctx, s.insert); err != nil {
			return classify(fmt.Errorf("insert from staging: %w", err))
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
// too large) as sink.ErrRejected, so the loop isolates the event and sends it
// to the DLQ instead of retrying the batch forever.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		switch pgErr.Code[:2] {
		case "22", "23", "54":
			return fmt.Errorf("%w: %w", sink.ErrRejected, err)
		}
	}
	return err
}

// clean removes NUL characters: valid in protobuf strings, impossible in
// PostgreSQL text and jsonb. This is the one change an event may undergo.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func parseUUID(s string) (pgtype.UUID, error) {
	var u pgtype.UUID
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, fmt.Errorf("event_id %q: not a uuid", s)
	}
	if _, err := hex.Decode(u.Bytes[:], []byte(h)); err != nil {
		return u, fmt.Errorf("event_id %q: %w", s, err)
	}
	u.Valid = true
	return u, nil
}

// deviceClassName is the lower-case short name stored for dashboards.
func deviceClassName(d eventv1.DeviceClass) string {
	return strings.ToLower(strings.TrimPrefix(d.String(), "DEVICE_CLASS_"))
}

func deviceClassFromName(s string) eventv1.DeviceClass {
	return eventv1.DeviceClass(eventv1.DeviceClass_value["DEVICE_CLASS_"+strings.ToUpper(s)])
}

func toRow(ev *eventv1.Event) ([]any, error) {
	id, err := parseUUID(ev.GetEventId())
	if err != nil {
		return nil, err
	}
	props := make(map[string]string, len(ev.GetProperties()))
	for k, v := range ev.GetProperties() {
		props[clean(k)] = clean(v)
	}
	propsJSON, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	p, c, u, e := ev.GetPage(), ev.GetClient(), ev.GetUtm(), ev.GetEnrichment()
	return []any{
		id, clean(ev.GetSiteId()), clean(ev.GetName()), ev.GetOccurredAt().AsTime(), ev.GetReceivedAt().AsTime(),
		clean(ev.GetVisitorId()), clean(ev.GetUserId()), clean(ev.GetSessionId()),
		clean(p.GetUrl()), clean(p.GetPath()), clean(p.GetTitle()), clean(p.GetReferrer()), clean(ev.GetHttpMethod()),
		int64(ev.GetHttpStatus()), clampInt64(ev.GetDurationUs()),
		clean(c.GetUserAgent()), clean(c.GetLocale()), int64(c.GetScreenWidth()), int64(c.GetScreenHeight()), clean(c.GetTimeZone()), clean(c.GetIp()),
		clean(u.GetSource()), clean(u.GetMedium()), clean(u.GetCampaign()), clean(u.GetTerm()), clean(u.GetContent()), string(propsJSON),
		clean(e.GetBrowser()), clean(e.GetBrowserVersion()), clean(e.GetOs()), clean(e.GetOsVersion()), deviceClassName(e.GetDeviceClass()), e.GetIsBot(),
		clean(e.GetReferrerHost()), e.GetClockClamped(), e.GetVisitorIdDerived(), e.GetEventIdAssigned(),
	}, nil
}

// ErrNotFound is returned by ReadEvent for an unknown event_id.
var ErrNotFound = errors.New("pgstore: event not found")

// ReadEvent reads one stored event back as a protobuf Event (for tests and
// tools). Sub-messages are always present, as the store cannot tell an empty
// one from a missing one.
func (s *Store) ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error) {
	var (
		id                  pgtype.UUID
		occ, rec            time.Time
		status, dur, sw, sh int64
		propsJSON           []byte
		deviceClass         string
		ev                  = &eventv1.Event{Page: &eventv1.Page{}, Client: &eventv1.ClientContext{}, Utm: &eventv1.Utm{}, Enrichment: &eventv1.Enrichment{}}
		p, c, u, e          = ev.Page, ev.Client, ev.Utm, ev.Enrichment
	)
	err := s.pool.QueryRow(ctx, "SELECT "+strings.Join(columns, ", ")+" FROM "+s.events+" WHERE event_id = $1 LIMIT 1", eventID).Scan(
		&id, &ev.SiteId, &ev.Name, &occ, &rec, &ev.VisitorId, &ev.UserId, &ev.SessionId,
		&p.Url, &p.Path, &p.Title, &p.Referrer, &ev.HttpMethod, &status, &dur,
		&c.UserAgent, &c.Locale, &sw, &sh, &c.TimeZone, &c.Ip,
		&u.Source, &u.Medium, &u.Campaign, &u.Term, &u.Content, &propsJSON,
		&e.Browser, &e.BrowserVersion, &e.Os, &e.OsVersion, &deviceClass, &e.IsBot, &e.ReferrerHost,
		&e.ClockClamped, &e.VisitorIdDerived, &e.EventIdAssigned)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	b := id.Bytes
	ev.EventId = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	ev.OccurredAt, ev.ReceivedAt = timestamppb.New(occ), timestamppb.New(rec)
	ev.HttpStatus, ev.DurationUs = uint32(status), uint64(dur)
	c.ScreenWidth, c.ScreenHeight = uint32(sw), uint32(sh)
	e.DeviceClass = deviceClassFromName(deviceClass)
	if err := json.Unmarshal(propsJSON, &ev.Properties); err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	if len(ev.Properties) == 0 {
		ev.Properties = nil
	}
	return ev, nil
}

// Counts returns the number of rows and of distinct event ids, as a
// dashboard query sees them.
func (s *Store) Counts(ctx context.Context) (rows, distinct int64, err error) {
	err = s.pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT event_id) FROM "+s.events).Scan(&rows, &distinct)
	if err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	return rows, distinct, nil
}
