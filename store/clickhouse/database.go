package clickhouse

import (
	"context"
	"fmt"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// CreateDatabase creates cfg.Database (connecting to the server's default
// database with cfg's user). Tests, e2e and the benchmark isolate themselves
// this way; Migrate also creates a missing database by itself.
func CreateDatabase(ctx context.Context, cfg Config) error {
	return adminExec(ctx, cfg, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(cfg.Database))
}

// DropDatabase drops cfg.Database and everything in it.
func DropDatabase(ctx context.Context, cfg Config) error {
	return adminExec(ctx, cfg, "DROP DATABASE IF EXISTS "+quoteIdent(cfg.Database))
}

func adminExec(ctx context.Context, cfg Config, sql string) error {
	conn, err := ch.Open(options(cfg, ""))
	if err != nil {
		return fmt.Errorf("open clickhouse: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
