package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/footprint/footprint/services/query/internal/engine"
)

// ClickHouse is a clickhouse-go native connection pool (the HTTP protocol
// does not work with 18.16).
type ClickHouse struct{ conn driver.Conn }

// ClickHouseOptions say where and as whom to connect.
type ClickHouseOptions struct {
	Addr, Database, User, Password string
	MaxConns                       int
}

// OpenClickHouse connects. No per-connection settings: the read-only
// profile of footprint_reader refuses to let a client change them.
func OpenClickHouse(o ClickHouseOptions) (*ClickHouse, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		// A comma-separated list on a cluster: the driver dials them in order,
		// so a dead replica fails over to the next (docs/deploy.md).
		Addr:         strings.Split(o.Addr, ","),
		Auth:         clickhouse.Auth{Database: o.Database, Username: o.User, Password: o.Password},
		MaxOpenConns: o.MaxConns,
		MaxIdleConns: o.MaxConns,
		DialTimeout:  5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse open: %w", err)
	}
	return &ClickHouse{conn: conn}, nil
}

// Query runs st ($n arguments bound by the driver) and scans text then
// int64 columns.
func (c *ClickHouse) Query(ctx context.Context, st engine.Statement, ints int) ([]Row, error) {
	rows, err := c.conn.Query(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse query: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Row
	for rows.Next() {
		r := Row{Texts: make([]string, st.NumDims), Ints: make([]int64, ints)}
		if err := rows.Scan(scanTargets(&r)...); err != nil {
			return nil, fmt.Errorf("clickhouse scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse rows: %w", err)
	}
	return out, nil
}

// Ping checks the connection.
func (c *ClickHouse) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

// Close closes the pool.
func (c *ClickHouse) Close() { _ = c.conn.Close() }
