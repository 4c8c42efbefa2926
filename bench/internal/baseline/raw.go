package baseline

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGTable names a PostgreSQL table and the columns a COPY fills.
type PGTable struct {
	Schema, Name string
	Columns      []string
}

// FindPGTable looks up the table `name` (in any schema but the system ones)
// and the columns a COPY can fill: not generated, not identity.
func FindPGTable(ctx context.Context, pool *pgxpool.Pool, name string) (PGTable, error) {
	t := PGTable{Name: name}
	err := pool.QueryRow(ctx, `SELECT table_schema FROM information_schema.tables
		WHERE table_name = $1 AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema LIMIT 1`, name).Scan(&t.Schema)
	if err != nil {
		return t, fmt.Errorf("find table %s: %w", name, err)
	}
	rows, err := pool.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' AND is_identity = 'NO'
		ORDER BY ordinal_position`, t.Schema, name)
	if err != nil {
		return t, fmt.Errorf("list columns: %w", err)
	}
	t.Columns, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return t, fmt.Errorf("list columns: %w", err)
	}
	return t, nil
}

// Ident is the quoted schema-qualified table name.
func (t PGTable) Ident() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

func (t PGTable) cols() string {
	q := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// PGReload is the raw COPY limit measured on exactly the rows a writer
// stored: it reads the table back as a binary COPY stream, empties it and
// times a binary COPY of the same stream into the same table (same indexes,
// same partitions). No client-side encoding is timed: this is the server's
// bulk-load speed.
func PGReload(ctx context.Context, pool *pgxpool.Pool, t PGTable) (rows int64, d time.Duration, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var buf bytes.Buffer
	if _, err := conn.Conn().PgConn().CopyTo(ctx, &buf, "COPY (SELECT "+t.cols()+" FROM "+t.Ident()+") TO STDOUT (FORMAT binary)"); err != nil {
		return 0, 0, fmt.Errorf("copy out: %w", err)
	}
	if _, err := conn.Exec(ctx, "TRUNCATE "+t.Ident()); err != nil {
		return 0, 0, fmt.Errorf("truncate: %w", err)
	}
	start := time.Now()
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, &buf, "COPY "+t.Ident()+" ("+t.cols()+") FROM STDIN (FORMAT binary)")
	if err != nil {
		return 0, 0, fmt.Errorf("copy in: %w", err)
	}
	return tag.RowsAffected(), time.Since(start), nil
}

// PGCopyRows times a pgx CopyFrom of rows into t.
func PGCopyRows(ctx context.Context, pool *pgxpool.Pool, t PGTable, rows [][]any) (time.Duration, error) {
	start := time.Now()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{t.Schema, t.Name}, t.Columns, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("copy from: %w", err)
	}
	return time.Since(start), nil
}

// CHColumns holds a ClickHouse table's rows column by column.
type CHColumns struct {
	Names []string
	Data  []any // one typed slice per column
	Rows  int
}

// CHReadBack reads db.table into typed column slices (SELECT *: the
// ordinary and DEFAULT columns, the ones an INSERT names).
func CHReadBack(ctx context.Context, conn clickhouse.Conn, db, table string) (*CHColumns, error) {
	rows, err := conn.Query(ctx, "SELECT * FROM "+db+"."+table)
	if err != nil {
		return nil, fmt.Errorf("read back %s.%s: %w", db, table, err)
	}
	defer func() { _ = rows.Close() }()
	types := rows.ColumnTypes()
	cols := &CHColumns{Names: rows.Columns()}
	dest := make([]any, len(types))
	slices := make([]reflect.Value, len(types))
	for i, ct := range types {
		dest[i] = reflect.New(ct.ScanType()).Interface()
		slices[i] = reflect.MakeSlice(reflect.SliceOf(ct.ScanType()), 0, 1024)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		for i := range dest {
			slices[i] = reflect.Append(slices[i], reflect.ValueOf(dest[i]).Elem())
		}
		cols.Rows++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	cols.Data = make([]any, len(slices))
	for i := range slices {
		cols.Data[i] = slices[i].Interface()
	}
	return cols, nil
}

// CHReload is the raw native-insert limit on exactly the rows a writer
// stored: it creates db.<table>_raw with the same structure and engine and
// times a columnar native batch insert of cols in batches of batchRows.
func CHReload(ctx context.Context, conn clickhouse.Conn, db, table string, cols *CHColumns, batchRows int) (time.Duration, error) {
	raw := table + "_raw"
	if err := conn.Exec(ctx, "CREATE TABLE "+db+"."+raw+" AS "+db+"."+table); err != nil {
		return 0, fmt.Errorf("create %s: %w", raw, err)
	}
	sql := "INSERT INTO " + db + "." + raw + " (" + strings.Join(cols.Names, ", ") + ")"
	start := time.Now()
	for lo := 0; lo < cols.Rows; lo += batchRows {
		hi := min(lo+batchRows, cols.Rows)
		b, err := conn.PrepareBatch(ctx, sql)
		if err != nil {
			return 0, fmt.Errorf("prepare batch: %w", err)
		}
		for i, data := range cols.Data {
			part := reflect.ValueOf(data).Slice(lo, hi).Interface()
			if err := b.Column(i).Append(part); err != nil {
				_ = b.Abort()
				return 0, fmt.Errorf("append column %s: %w", cols.Names[i], err)
			}
		}
		if err := b.Send(); err != nil {
			return 0, fmt.Errorf("send batch: %w", err)
		}
	}
	return time.Since(start), nil
}

// CHInsertRows times a row-wise native batch insert of rows into
// db.table (columns named), in batches of batchRows.
func CHInsertRows(ctx context.Context, conn clickhouse.Conn, db, table string, columns []string, rows [][]any, batchRows int) (time.Duration, error) {
	sql := "INSERT INTO " + db + "." + table + " (" + strings.Join(columns, ", ") + ")"
	start := time.Now()
	for lo := 0; lo < len(rows); lo += batchRows {
		b, err := conn.PrepareBatch(ctx, sql)
		if err != nil {
			return 0, fmt.Errorf("prepare batch: %w", err)
		}
		for _, r := range rows[lo:min(lo+batchRows, len(rows))] {
			if err := b.Append(r...); err != nil {
				_ = b.Abort()
				return 0, fmt.Errorf("append row: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return 0, fmt.Errorf("send batch: %w", err)
		}
	}
	return time.Since(start), nil
}
