package storetest

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/jackc/pgx/v5"
)

// The raw loads below are the writer throughput measurement's limit
// (sinktest's Throughput, FOOTPRINT_SINKTEST_THROUGHPUT): the same rows the
// writer stored, bulk-loaded with no client-side work, as the benchmark's
// baselines do, so that a writer change can be judged by a ratio measured
// in one short run.

// rawPostgres reads the events table back as a binary COPY stream, empties
// it and times a binary COPY of the same stream into it (same indexes, same
// partitions; event_keys is left as it is).
func rawPostgres(ctx context.Context, url, schema string) (int64, time.Duration, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, 0, fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	table := pgx.Identifier{schema, "events"}.Sanitize()
	var buf bytes.Buffer
	if _, err := conn.PgConn().CopyTo(ctx, &buf, "COPY (SELECT * FROM "+table+") TO STDOUT (FORMAT binary)"); err != nil {
		return 0, 0, fmt.Errorf("copy out: %w", err)
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+table); err != nil {
		return 0, 0, fmt.Errorf("truncate: %w", err)
	}
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, &buf, "COPY "+table+" FROM STDIN (FORMAT binary)")
	if err != nil {
		return 0, 0, fmt.Errorf("copy in: %w", err)
	}
	return tag.RowsAffected(), time.Since(start), nil
}

// rawClickHouse reads the events table back column by column and times a
// columnar native insert of them, in batches of batchRows, into a new table
// of the same structure and engine.
func rawClickHouse(ctx context.Context, cfg clickhouse.Config, batchRows int) (int64, time.Duration, error) {
	conn, err := ch.Open(&ch.Options{Addr: []string{cfg.Addr}, Protocol: ch.Native,
		Auth: ch.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password}, ReadTimeout: 5 * time.Minute})
	if err != nil {
		return 0, 0, fmt.Errorf("open clickhouse: %w", err)
	}
	defer func() { _ = conn.Close() }()
	names, data, n, err := readColumns(ctx, conn)
	if err != nil {
		return 0, 0, err
	}
	if err := conn.Exec(ctx, "CREATE TABLE events_raw AS events"); err != nil {
		return 0, 0, fmt.Errorf("create events_raw: %w", err)
	}
	insert := "INSERT INTO events_raw (" + strings.Join(names, ", ") + ")"
	start := time.Now()
	for lo := 0; lo < n; lo += batchRows {
		hi := min(lo+batchRows, n)
		b, err := conn.PrepareBatch(ctx, insert)
		if err != nil {
			return 0, 0, fmt.Errorf("prepare batch: %w", err)
		}
		for i, col := range data {
			if err := b.Column(i).Append(col.Slice(lo, hi).Interface()); err != nil {
				_ = b.Abort()
				return 0, 0, fmt.Errorf("append column %s: %w", names[i], err)
			}
		}
		if err := b.Send(); err != nil {
			return 0, 0, fmt.Errorf("send batch: %w", err)
		}
	}
	return int64(n), time.Since(start), nil
}

// readColumns reads every row of events into one typed slice per column.
func readColumns(ctx context.Context, conn ch.Conn) (names []string, data []reflect.Value, n int, err error) {
	rows, err := conn.Query(ctx, "SELECT * FROM events")
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read back: %w", err)
	}
	defer func() { _ = rows.Close() }()
	types := rows.ColumnTypes()
	dest := make([]any, len(types))
	data = make([]reflect.Value, len(types))
	for i, ct := range types {
		dest[i] = reflect.New(ct.ScanType()).Interface()
		data[i] = reflect.MakeSlice(reflect.SliceOf(ct.ScanType()), 0, 1024)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, 0, fmt.Errorf("scan: %w", err)
		}
		for i := range dest {
			data[i] = reflect.Append(data[i], reflect.ValueOf(dest[i]).Elem())
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("read rows: %w", err)
	}
	return rows.Columns(), data, n, nil
}
