package cli

import (
	"context"
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/footprint/footprint/cmd/footprint/internal/kafkaio"
	"github.com/footprint/footprint/store/clickhouse"
	"github.com/footprint/footprint/store/postgres"
)

// openStores opens both stores; close closes whatever was opened.
func (a *app) openStores(ctx context.Context) (*postgres.Store, *clickhouse.Store, func(), error) {
	pg, err := postgres.Open(ctx, a.cfg.Postgres, a.Logger)
	if err != nil {
		return nil, nil, func() {}, fmt.Errorf("postgres: %w", err)
	}
	ch, err := clickhouse.Open(ctx, a.cfg.ClickHouse, a.Logger)
	if err != nil {
		_ = pg.Close()
		return nil, nil, func() {}, fmt.Errorf("clickhouse: %w", err)
	}
	return pg, ch, func() { _ = pg.Close(); _ = ch.Close() }, nil
}

// kafkaClients connects a reader and an admin client.
func (a *app) kafkaClients() (*kafkaio.Reader, *kafka.AdminClient, func(), error) {
	r, err := kafkaio.NewReader(a.cfg.Brokers)
	if err != nil {
		return nil, nil, func() {}, err
	}
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{
		// Where the cluster is.
		"bootstrap.servers": a.cfg.Brokers,
		// No KIP-714 client telemetry.
		"enable.metrics.push": false,
	})
	if err != nil {
		r.Close()
		return nil, nil, func() {}, fmt.Errorf("kafka admin: %w", err)
	}
	return r, admin, func() { admin.Close(); r.Close() }, nil
}
