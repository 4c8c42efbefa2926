package postgres

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// ApplyMigrations creates schema if needed and applies the goose migrations
// in dir up to version (goose.MaxVersion: all) under a PostgreSQL advisory
// lock, so replicas starting together are safe. The pool's search_path must
// be schema, so goose's version table lives there too. Every Footprint
// component with PostgreSQL tables (the events store, the notifier's inbox)
// migrates through it.
func ApplyMigrations(ctx context.Context, pool *pgxpool.Pool, schema string, dir fs.FS, version int64) error {
	var exists bool
	// Checked first because CREATE SCHEMA IF NOT EXISTS still needs CREATE on
	// the database, which the least-privilege roles do not have.
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if !exists {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("goose locker: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("goose provider: %w", err)
	}
	if _, err := provider.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
