package chstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink"
	"google.golang.org/protobuf/types/known/timestamppb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Columns in the order of the Append call; the INSERT names them because
// ClickHouse 18.16 rejects a batch INSERT without a column list.
var columns = []string{
	"event_id", "site_id", "name", "occurred_at", "occurred_at_ns", "received_at", "received_at_ns",
	"visitor_id", "user_id", "session_id", "url", "path", "title", "referrer", "http_method", "http_status", "duration_us",
	"user_agent", "locale", "screen_width", "screen_height", "time_zone", "ip",
	"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "properties_keys", "properties_values",
	"browser", "browser_version", "os", "os_version", "device_class", "is_bot", "referrer_host",
	"clock_clamped", "visitor_id_derived", "event_id_assigned",
}

// Store is the ClickHouse event store.
type Store struct {
	cfg    Config
	conn   driver.Conn
	log    *slog.Logger
	insert string
}

func options(cfg Config, database string) *clickhouse.Options {
	return &clickhouse.Options{
		Addr:     []string{cfg.Addr},
		Protocol: clickhouse.Native, // HTTP fails against 18.16 (client_protocol_version)
		Auth:     clickhouse.Auth{Database: database, Username: cfg.User, Password: cfg.Password},
		// Fail fast while the server is unreachable so the loop's backoff
		// decides the pace.
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	}
}

// Open connects to the configured database, creating it first when it does
// not exist (the writer role may only see its own database, so it is created
// through a connection to the default database only in that case).
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := clickhouse.Open(options(cfg, cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	s := &Store{cfg: cfg, conn: conn, log: logger,
		insert: "INSERT INTO events (" + strings.Join(columns, ", ") + ")"}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Conn exposes the connection for tests and tools.
func (s *Store) Conn() driver.Conn { return s.conn }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

func (s *Store) ensureDatabase(ctx context.Context) error {
	err := s.conn.Ping(ctx)
	var ex *clickhouse.Exception
	if err == nil || !errors.As(err, &ex) || ex.Code != 81 { // 81: UNKNOWN_DATABASE
		return err
	}
	c, err := clickhouse.Open(options(s.cfg, ""))
	if err != nil {
		return fmt.Errorf("open clickhouse: %w", err)
	}
	defer c.Close()
	if err := c.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(s.cfg.Database)); err != nil {
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
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.ensureDatabase(ctx); err != nil {
		return err
	}
	if err := s.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
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
		if uint32(v) <= current {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if err := s.conn.Exec(ctx, stmt); err != nil {
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
	return nil
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

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func deviceClassName(d eventv1.DeviceClass) string {
	if _, ok := eventv1.DeviceClass_name[int32(d)]; !ok {
		d = eventv1.DeviceClass_DEVICE_CLASS_UNSPECIFIED
	}
	return strings.ToLower(strings.TrimPrefix(d.String(), "DEVICE_CLASS_"))
}

// WriteBatch sends all events in one native INSERT block.
func (s *Store) WriteBatch(ctx context.Context, events []*eventv1.Event) error {
	batch, err := s.conn.PrepareBatch(ctx, s.insert)
	if err != nil {
		return fmt.Errorf("prepare batch: %w", err)
	}
	defer func() { _ = batch.Abort() }()
	for _, ev := range events {
		p, c, u, e := ev.GetPage(), ev.GetClient(), ev.GetUtm(), ev.GetEnrichment()
		keys := make([]string, 0, len(ev.GetProperties()))
		for k := range ev.GetProperties() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = ev.GetProperties()[k]
		}
		occ, rec := ev.GetOccurredAt(), ev.GetReceivedAt()
		if err := batch.Append(
			ev.GetEventId(), ev.GetSiteId(), ev.GetName(),
			time.Unix(occ.GetSeconds(), 0).UTC(), uint32(occ.GetNanos()),
			time.Unix(rec.GetSeconds(), 0).UTC(), uint32(rec.GetNanos()),
			ev.GetVisitorId(), ev.GetUserId(), ev.GetSessionId(),
			p.GetUrl(), p.GetPath(), p.GetTitle(), p.GetReferrer(), ev.GetHttpMethod(), ev.GetHttpStatus(), ev.GetDurationUs(),
			c.GetUserAgent(), c.GetLocale(), c.GetScreenWidth(), c.GetScreenHeight(), c.GetTimeZone(), c.GetIp(),
			u.GetSource(), u.GetMedium(), u.GetCampaign(), u.GetTerm(), u.GetContent(), keys, vals,
			e.GetBrowser(), e.GetBrowserVersion(), e.GetOs(), e.GetOsVersion(), deviceClassName(e.GetDeviceClass()),
			b2u(e.GetIsBot()), e.GetReferrerHost(), b2u(e.GetClockClamped()), b2u(e.GetVisitorIdDerived()), b2u(e.GetEventIdAssigned()),
		); err != nil {
			// A value the driver cannot convert: this event can never be
			// stored, so the loop isolates it and dead-letters it.
			return fmt.Errorf("%w: append event %s: %w", sink.ErrRejected, ev.GetEventId(), err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	return nil
}

// ErrNotFound is returned by ReadEvent for an unknown event_id.
var ErrNotFound = errors.New("chstore: event not found")

// ReadEvent reads one stored event back (deduplicated with FINAL) as a
// protobuf Event, for tests and tools. Sub-messages are always present.
func (s *Store) ReadEvent(ctx context.Context, eventID string) (*eventv1.Event, error) {
	sel := make([]string, len(columns))
	copy(sel, columns)
	sel[0] = "toString(event_id)"
	sel[34] = "toString(device_class)"
	ev := &eventv1.Event{Page: &eventv1.Page{}, Client: &eventv1.ClientContext{}, Utm: &eventv1.Utm{}, Enrichment: &eventv1.Enrichment{}}
	p, c, u, e := ev.Page, ev.Client, ev.Utm, ev.Enrichment
	var (
		occ, rec                          time.Time
		occNs, recNs                      uint32
		keys, vals                        []string
		dc                                string
		isBot, clamped, derived, assigned uint8
	)
	rows, err := s.conn.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM events FINAL WHERE event_id = toUUID(?) LIMIT 1", eventID)
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		return nil, ErrNotFound
	}
	if err := rows.Scan(&ev.EventId, &ev.SiteId, &ev.Name, &occ, &occNs, &rec, &recNs,
		&ev.VisitorId, &ev.UserId, &ev.SessionId, &p.Url, &p.Path, &p.Title, &p.Referrer, &ev.HttpMethod, &ev.HttpStatus, &ev.DurationUs,
		&c.UserAgent, &c.Locale, &c.ScreenWidth, &c.ScreenHeight, &c.TimeZone, &c.Ip,
		&u.Source, &u.Medium, &u.Campaign, &u.Term, &u.Content, &keys, &vals,
		&e.Browser, &e.BrowserVersion, &e.Os, &e.OsVersion, &dc, &isBot, &e.ReferrerHost, &clamped, &derived, &assigned); err != nil {
		return nil, fmt.Errorf("scan event: %w", err)
	}
	ev.OccurredAt = &timestamppb.Timestamp{Seconds: occ.Unix(), Nanos: int32(occNs)}
	ev.ReceivedAt = &timestamppb.Timestamp{Seconds: rec.Unix(), Nanos: int32(recNs)}
	e.DeviceClass = eventv1.DeviceClass(eventv1.DeviceClass_value["DEVICE_CLASS_"+strings.ToUpper(dc)])
	e.IsBot, e.ClockClamped, e.VisitorIdDerived, e.EventIdAssigned = isBot == 1, clamped == 1, derived == 1, assigned == 1
	if len(keys) > 0 {
		ev.Properties = make(map[string]string, len(keys))
		for i, k := range keys {
			ev.Properties[k] = vals[i]
		}
	}
	return ev, nil
}

// Counts returns the rows a dashboard sees (count() with FINAL, correct
// before merges) and the distinct event ids (uniqExact, also correct before
// merges). Both must be equal.
func (s *Store) Counts(ctx context.Context) (rows, distinct int64, err error) {
	var r, d uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&r); err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	if err := s.conn.QueryRow(ctx, "SELECT uniqExact(event_id) FROM events").Scan(&d); err != nil {
		return 0, 0, fmt.Errorf("count distinct events: %w", err)
	}
	return int64(r), int64(d), nil
}

// Maintain drops monthly partitions older than RetentionMonths (0 keeps all).
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if s.cfg.RetentionMonths == 0 {
		return nil
	}
	y, m, _ := now.UTC().Date()
	cutoff := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -s.cfg.RetentionMonths, 0)
	cut := uint32(cutoff.Year()*100 + int(cutoff.Month()))
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = 'events' AND active", s.cfg.Database)
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	var old []string
	for rows.Next() {
		var part string
		if err := rows.Scan(&part); err != nil {
			rows.Close()
			return fmt.Errorf("scan partition: %w", err)
		}
		if v, err := strconv.ParseUint(part, 10, 32); err == nil && uint32(v) < cut {
			old = append(old, part)
		}
	}
	rows.Close()
	for _, part := range old {
		// Dropping a partition is a metadata operation: instant, no rewrite.
		if err := s.conn.Exec(ctx, "ALTER TABLE events DROP PARTITION "+part); err != nil {
			return fmt.Errorf("drop partition %s: %w", part, err)
		}
		s.log.Info("dropped partition past retention", "partition", part)
	}
	return nil
}
