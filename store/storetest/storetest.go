// Package storetest gives a test its own PostgreSQL or ClickHouse database
// on the real stack (addresses from internal/testenv), dropped when the test
// ends. Tests outside the store packages create databases only here.
package storetest

import (
	"context"
	"testing"

	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

// PostgresDB creates a unique database and returns its superuser URL; the
// store's Migrate creates the schema and tables in it.
func PostgresDB(t testing.TB) string {
	t.Helper()
	adminURL, name := testenv.PostgresAdminURL(t), testenv.UniqueName("fp")
	var url string
	testenv.Isolated(t, "postgres database "+name,
		func(ctx context.Context) (err error) {
			url, err = postgres.CreateDatabase(ctx, adminURL, name)
			return err
		},
		func(ctx context.Context) error { return postgres.DropDatabase(ctx, adminURL, name) })
	return url
}

// ClickHouseDB creates a unique database and returns a store configuration
// pointing at it (user default); the store's Migrate creates the tables.
func ClickHouseDB(t testing.TB) clickhouse.Config {
	t.Helper()
	cfg := clickhouse.DefaultConfig()
	cfg.Addr, cfg.Database = testenv.ClickHouseAddr(t), testenv.UniqueName("fp")
	testenv.Isolated(t, "clickhouse database "+cfg.Database,
		func(ctx context.Context) error { return clickhouse.CreateDatabase(ctx, cfg) },
		func(ctx context.Context) error { return clickhouse.DropDatabase(ctx, cfg) })
	return cfg
}
