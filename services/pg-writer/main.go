// Command pg-writer consumes footprint.events.v1 and stores the events in
// PostgreSQL. Configuration comes from FOOTPRINT_* environment variables
// (see README.md).
package main

import (
	"context"
	"log/slog"

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/postgres"
)

// writer is the whole binary: the shared writer service over the PostgreSQL store.
func writer() sink.Writer[postgres.Config] {
	return sink.Writer[postgres.Config]{
		Name:      "pg-writer",
		AdminAddr: "127.0.0.1:9465",
		Store:     postgres.DefaultConfig(),
		ReadStoreEnv: func(env *envconfig.Reader, cfg *postgres.Config) {
			env.String("FOOTPRINT_PG_URL", &cfg.URL)
			env.String("FOOTPRINT_PG_SCHEMA", &cfg.Schema)
			env.Int("FOOTPRINT_PG_RETENTION_DAYS", &cfg.RetentionDays)
			env.Int("FOOTPRINT_PG_PARTITIONS_AHEAD", &cfg.PartitionsAhead)
			env.Duration("FOOTPRINT_PG_MAINTENANCE_INTERVAL", &cfg.MaintenanceInterval)
		},
		Open: func(ctx context.Context, cfg postgres.Config, logger *slog.Logger) (sink.ClosableStore, error) {
			return postgres.Open(ctx, cfg, logger)
		},
	}
}

func main() { writer().Main() }
