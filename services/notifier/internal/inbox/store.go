// Package inbox is the notifier's PostgreSQL store in schema `notifier`:
// notifications, the source events that made them (the redelivery guard),
// and the webhook outbox written in the same transaction. It migrates
// itself with embedded goose migrations.
package inbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"

	"github.com/footprint/footprint/services/notifier/internal/rules"
	"github.com/footprint/footprint/store/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema holds the notifier's tables and goose's version table.
const Schema = "notifier"

// NotifyChannel is the PostgreSQL channel a write transaction notifies on
// commit with the payload site_id + "\n" + user_id, for Subscribe streams.
const NotifyChannel = "footprint_notifier"

// writeLock is the advisory lock key every write transaction takes first,
// so change_seq values commit in order (see the migration).
const writeLock = 0x666f6f747072696e // "footprin"

// Hooks are called after a write transaction committed.
type Hooks struct {
	// Committed receives the actions that changed the inbox (with the
	// notification they made) and the skip reasons, once per commit.
	Committed func(res WriteResult)
}

// Store is the inbox.
type Store struct {
	pool  *pgxpool.Pool
	rules *rules.Set
	log   *slog.Logger
	hooks Hooks
}

// Open connects (lazily) with search_path set to the notifier schema.
func Open(ctx context.Context, url string, set *rules.Set, hooks Hooks, logger *slog.Logger) (*Store, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse pg url: %w", err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = Schema
	// Fail fast while the server is unreachable: the consume loop's backoff
	// decides the pace, not a hanging dial.
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pg pool: %w", err)
	}
	return &Store{pool: pool, rules: set, log: logger, hooks: hooks}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// ConnConfig is the connection configuration, for the LISTEN connection.
func (s *Store) ConnConfig() *pgx.ConnConfig { return s.pool.Config().ConnConfig.Copy() }

// Migrate creates the schema if needed and applies the embedded migrations
// the way the events store does (postgres.ApplyMigrations: goose under an
// advisory lock, so replicas starting together are safe).
func (s *Store) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations dir: %w", err)
	}
	return postgres.ApplyMigrations(ctx, s.pool, Schema, dir, goose.MaxVersion)
}
