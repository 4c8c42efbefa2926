package dashboards

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/ops"
	"github.com/footprint/footprint/store/postgres"
	"github.com/jackc/pgx/v5"
)

// LoadResult is what loading one data set into both stores measured.
type LoadResult struct {
	Events int `json:"events"`
	// Seconds spent in each store's WriteBatch (generation excluded; the
	// stores are written one after the other per batch, never at once).
	PostgresSeconds   float64 `json:"postgres_seconds"`
	ClickHouseSeconds float64 `json:"clickhouse_seconds"`
	GenerateSeconds   float64 `json:"generate_seconds"`
	// PostgresMaintenanceSeconds is the VACUUM ANALYZE after the load.
	PostgresMaintenanceSeconds float64 `json:"postgres_vacuum_analyze_seconds"`
	// Rows and distinct event ids each store holds for the site.
	PostgresRows   int64 `json:"postgres_rows"`
	ClickHouseRows int64 `json:"clickhouse_rows"`
	PostgresIDs    int64 `json:"postgres_distinct_ids"`
	ClickHouseIDs  int64 `json:"clickhouse_distinct_ids"`
	// ConsistencyGroups is the number of (UTC day, event name) groups the
	// store/ops consistency check compared; MismatchedDays must be 0.
	ConsistencyGroups int `json:"consistency_groups"`
	MismatchedDays    int `json:"mismatched_days"`
}

// Stores are the two event stores of one data set, opened on its databases.
type Stores struct {
	PG       *postgres.Store
	CH       *clickhouse.Store
	PGURL    string // superuser URL of the PostgreSQL database
	PGSchema string
	CHConfig clickhouse.Config
}

// Load generates data and writes it through each store's WriteBatch (the
// writers' own write path, without Kafka in between), then checks that both
// stores hold the same events: row and distinct-id counts, and the
// consistency check of store/ops (per UTC day and event name, the count
// and checksum of the event ids).
func Load(ctx context.Context, data DataConfig, s Stores, batch int, logger *slog.Logger) (LoadResult, error) {
	res := LoadResult{Events: data.Events}
	if err := createPartitions(ctx, s.PG, data); err != nil {
		return res, err
	}
	var pgTime, chTime time.Duration
	began, written := time.Now(), 0
	lastLog := began
	err := Generate(data, batch, func(evs []*eventv1.Event) error {
		t := time.Now()
		if err := s.PG.WriteBatch(ctx, evs); err != nil {
			return fmt.Errorf("postgres write: %w", err)
		}
		pgTime += time.Since(t)
		t = time.Now()
		if err := s.CH.WriteBatch(ctx, evs); err != nil {
			return fmt.Errorf("clickhouse write: %w", err)
		}
		chTime += time.Since(t)
		written += len(evs)
		if time.Since(lastLog) > 15*time.Second {
			lastLog = time.Now()
			logger.Info("loading", "events", written, "of", data.Events)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.PostgresSeconds, res.ClickHouseSeconds = pgTime.Seconds(), chTime.Seconds()
	res.GenerateSeconds = (time.Since(began) - pgTime - chTime).Seconds()
	t := time.Now()
	if err := vacuumAnalyze(ctx, s.PGURL, s.PGSchema); err != nil {
		return res, err
	}
	res.PostgresMaintenanceSeconds = time.Since(t).Seconds()
	return res, check(ctx, data, s, &res)
}

// createPartitions creates the daily partitions of the data's days, as a
// pg-writer running through those days would have (Maintain creates the
// day it is given and the days ahead).
func createPartitions(ctx context.Context, pg *postgres.Store, data DataConfig) error {
	for d := data.FirstDay(); !d.After(data.LastDay); d = d.AddDate(0, 0, 7) {
		if err := pg.Maintain(ctx, d); err != nil {
			return fmt.Errorf("create partitions from %s: %w", d.Format(day), err)
		}
	}
	return nil
}

// vacuumAnalyze gives the planner statistics and the visibility map that a
// table written over 30 days would have from autovacuum.
func vacuumAnalyze(ctx context.Context, url, schema string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect for vacuum: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	for _, table := range []string{"events", "event_keys"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum analyze %s: %w", table, err)
		}
	}
	return nil
}

func check(ctx context.Context, data DataConfig, s Stores, res *LoadResult) error {
	var err error
	if res.PostgresRows, res.PostgresIDs, err = s.PG.SiteCounts(ctx, data.Site); err != nil {
		return fmt.Errorf("postgres counts: %w", err)
	}
	if res.ClickHouseRows, res.ClickHouseIDs, err = s.CH.SiteCounts(ctx, data.Site); err != nil {
		return fmt.Errorf("clickhouse counts: %w", err)
	}
	rep, err := ops.Check(ctx, s.PG, s.CH, data.Site, data.FirstDay(), data.LastDay, 5)
	if err != nil {
		return fmt.Errorf("consistency check: %w", err)
	}
	res.ConsistencyGroups, res.MismatchedDays = len(rep.Rows), rep.MismatchedDays()
	want := int64(data.Events)
	if res.PostgresIDs != want || res.ClickHouseIDs != want || res.PostgresRows != want || res.MismatchedDays != 0 {
		return fmt.Errorf("%w: want %d events in each; postgres %d rows / %d ids, clickhouse %d rows / %d ids, %d mismatched days (samples %v)",
			ErrStoresDiffer, want, res.PostgresRows, res.PostgresIDs, res.ClickHouseRows, res.ClickHouseIDs, res.MismatchedDays, rep.Samples)
	}
	return nil
}

// Storage is one store's on-disk size for the data set.
type Storage struct {
	// EventsBytes is the events table (all partitions) with its indexes
	// (PostgreSQL) or its parts (ClickHouse, compressed columns, marks and
	// primary index).
	EventsBytes int64 `json:"events_bytes"`
	// EventsIndexBytes is the PostgreSQL indexes' part of EventsBytes (0
	// for ClickHouse, whose sparse primary index is inside its parts).
	EventsIndexBytes int64 `json:"events_index_bytes"`
	// KeysBytes is the key (dedup) table with its index: event_keys in
	// PostgreSQL, event_ids in ClickHouse.
	KeysBytes int64 `json:"keys_bytes"`
	// RollupBytes is pre-aggregated tables: none exist yet.
	RollupBytes int64 `json:"rollup_bytes"`
	// TotalBytes is the sum; BytesPerEvent divides it by the events.
	TotalBytes    int64   `json:"total_bytes"`
	BytesPerEvent float64 `json:"bytes_per_event"`
}

// PostgresStorage measures the events tree (every partition, heap, TOAST
// and indexes) and the key table.
func PostgresStorage(ctx context.Context, url, schema string, events int) (Storage, error) {
	var st Storage
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return st, fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	ev := pgx.Identifier{schema, "events"}.Sanitize()
	keys := pgx.Identifier{schema, "event_keys"}.Sanitize()
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint, coalesce(sum(pg_indexes_size(relid)), 0)::bigint
		FROM pg_partition_tree($1::regclass)`, ev).Scan(&st.EventsBytes, &st.EventsIndexBytes)
	if err != nil {
		return st, fmt.Errorf("events size: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_total_relation_size($1::regclass)`, keys).Scan(&st.KeysBytes); err != nil {
		return st, fmt.Errorf("keys size: %w", err)
	}
	return st.total(events), nil
}

// ClickHouseStorage measures the active parts of events and of its key table.
func ClickHouseStorage(ctx context.Context, cfg clickhouse.Config, events int) (Storage, error) {
	var st Storage
	conn, err := ch.Open(&ch.Options{Addr: []string{cfg.Addr}, Auth: ch.Auth{Username: cfg.User, Password: cfg.Password}})
	if err != nil {
		return st, fmt.Errorf("open clickhouse: %w", err)
	}
	defer func() { _ = conn.Close() }()
	rows, err := conn.Query(ctx, "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE database = ? AND active GROUP BY table", cfg.Database)
	if err != nil {
		return st, fmt.Errorf("parts size: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var table string
		var n uint64
		if err := rows.Scan(&table, &n); err != nil {
			return st, fmt.Errorf("scan parts size: %w", err)
		}
		switch table {
		case "events":
			st.EventsBytes = int64(n)
		case clickhouse.KeysTable:
			st.KeysBytes = int64(n)
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("parts size: %w", err)
	}
	return st.total(events), nil
}

func (st Storage) total(events int) Storage {
	st.TotalBytes = st.EventsBytes + st.KeysBytes + st.RollupBytes
	if events > 0 {
		st.BytesPerEvent = float64(st.TotalBytes) / float64(events)
	}
	return st
}
