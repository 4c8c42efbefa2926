// Command ch-writer consumes footprint.events.v1 and stores the events in
// ClickHouse. Configuration comes from FOOTPRINT_* environment variables
// (see README.md).
package main

import (
	"context"
	"log/slog"

	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/clickhouse"
)

// writer is the whole binary: the shared writer service over the ClickHouse store.
func writer() sink.Writer[clickhouse.Config] {
	return sink.Writer[clickhouse.Config]{
		Name:      "ch-writer",
		AdminAddr: "127.0.0.1:9466",
		Store:     clickhouse.DefaultConfig(),
		ReadStoreEnv: func(env *envconfig.Reader, cfg *clickhouse.Config) {
			env.String("FOOTPRINT_CH_ADDR", &cfg.Addr)
			env.String("FOOTPRINT_CH_DATABASE", &cfg.Database)
			env.String("FOOTPRINT_CH_USER", &cfg.User)
			env.String("FOOTPRINT_CH_PASSWORD", &cfg.Password)
			env.Int("FOOTPRINT_CH_RETENTION_MONTHS", &cfg.RetentionMonths)
			env.Duration("FOOTPRINT_CH_MAINTENANCE_INTERVAL", &cfg.MaintenanceInterval)
		},
		Open: func(ctx context.Context, cfg clickhouse.Config, logger *slog.Logger) (sink.ClosableStore, error) {
			return clickhouse.Open(ctx, cfg, logger)
		},
	}
}

func main() { writer().Main() }
