package baseline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
)

// PerMessageConfig configures a per-message baseline consumer.
type PerMessageConfig struct {
	Brokers string
	Topic   string
	Group   string
	// Limit is the number of messages to store; the run also ends after
	// MaxDuration, whichever comes first.
	Limit       int
	MaxDuration time.Duration
	// Progress, when set, is called every 1000 messages.
	Progress func(n int)
}

// StoreFunc stores one event (one statement, one transaction).
type StoreFunc func(ctx context.Context, e *eventv1.Event) error

// PerMessage is the original system's design as it ran: a consumer with the
// client's default auto-commit reads one message, decodes it and writes it
// to every store in turn (in the original: one INSERT plus commit into
// PostgreSQL, then one INSERT into ClickHouse), then reads the next. The
// clock starts at the first message, so the group join is not counted.
func PerMessage(ctx context.Context, cfg PerMessageConfig, stores ...StoreFunc) (int, time.Duration, error) {
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers": cfg.Brokers,
		"group.id":          cfg.Group,
		// enable.auto.commit is left at the client's default (on, every
		// 5 s), as the original consumer left it: no commit per message.
		// A new group starts at the beginning of the pre-filled topic.
		"auto.offset.reset": "earliest",
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create consumer: %w", err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Subscribe(cfg.Topic, nil); err != nil {
		return 0, 0, fmt.Errorf("subscribe: %w", err)
	}
	var start time.Time
	n := 0
	joinDeadline := time.Now().Add(60 * time.Second)
	for n < cfg.Limit {
		if err := ctx.Err(); err != nil {
			return n, time.Since(start), err
		}
		if !start.IsZero() && time.Since(start) >= cfg.MaxDuration {
			break
		}
		m, err := c.ReadMessage(time.Second)
		if err != nil {
			var kerr kafka.Error
			if errors.As(err, &kerr) && kerr.IsTimeout() {
				if start.IsZero() && time.Now().After(joinDeadline) {
					return 0, 0, fmt.Errorf("no message within 60 s: %w", err)
				}
				if !start.IsZero() {
					break // topic drained
				}
				continue
			}
			return n, time.Since(start), fmt.Errorf("read message: %w", err)
		}
		if start.IsZero() {
			start = time.Now()
		}
		var e eventv1.Event
		if err := proto.Unmarshal(m.Value, &e); err != nil {
			return n, time.Since(start), fmt.Errorf("decode: %w", err)
		}
		for _, store := range stores {
			if err := store(ctx, &e); err != nil {
				return n, time.Since(start), err
			}
		}
		n++
		if cfg.Progress != nil && n%1000 == 0 {
			cfg.Progress(n)
		}
	}
	return n, time.Since(start), nil
}

// PostgresStore returns a StoreFunc that INSERTs one row of the given
// shape into table, autocommitted: one INSERT and its commit per message,
// as the original system did (in one round trip, which if anything favours
// the baseline over a driver that sends BEGIN and COMMIT separately).
func PostgresStore(pool *pgxpool.Pool, table string, shape Shape) StoreFunc {
	cols := shape.columns()
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	sql := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	if shape == ShapeFull {
		// The full row has the event id as its key; redelivery is not counted twice.
		sql += " ON CONFLICT (event_id) DO NOTHING"
	}
	return func(ctx context.Context, e *eventv1.Event) error {
		if _, err := pool.Exec(ctx, sql, shape.row(e, false)...); err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		return nil
	}
}

// ClickHouseStore returns a StoreFunc that sends a one-row native INSERT of
// the given shape into db.table.
func ClickHouseStore(conn clickhouse.Conn, db, table string, shape Shape) StoreFunc {
	sql := "INSERT INTO " + db + "." + table + " (" + strings.Join(shape.columns(), ", ") + ")"
	return func(ctx context.Context, e *eventv1.Event) error {
		b, err := conn.PrepareBatch(ctx, sql)
		if err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
		if err := b.Append(shape.row(e, true)...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("append row: %w", err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		return nil
	}
}
