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

// PerMessage is the original system's design: read one message, decode it,
// INSERT it as its own transaction, commit its offset synchronously, next.
// The clock starts at the first message, so the group join is not counted.
func PerMessage(ctx context.Context, cfg PerMessageConfig, store StoreFunc) (int, time.Duration, error) {
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers": cfg.Brokers,
		"group.id":          cfg.Group,
		// Offsets are committed by hand, one per message, after the INSERT.
		"enable.auto.commit": false,
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
		if err := store(ctx, &e); err != nil {
			return n, time.Since(start), err
		}
		if _, err := c.CommitMessage(m); err != nil {
			return n, time.Since(start), fmt.Errorf("commit offset: %w", err)
		}
		n++
		if cfg.Progress != nil && n%1000 == 0 {
			cfg.Progress(n)
		}
	}
	return n, time.Since(start), nil
}

// PostgresStore returns a StoreFunc that INSERTs one row into bench_events
// (autocommit: one transaction per row, as the original system did).
func PostgresStore(pool *pgxpool.Pool) StoreFunc {
	ph := make([]string, len(Columns))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	sql := "INSERT INTO bench_events (" + strings.Join(Columns, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ") ON CONFLICT (event_id) DO NOTHING"
	return func(ctx context.Context, e *eventv1.Event) error {
		if _, err := pool.Exec(ctx, sql, Row(e, false)...); err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		return nil
	}
}

// ClickHouseStore returns a StoreFunc that sends a one-row native INSERT
// into db.bench_events.
func ClickHouseStore(conn clickhouse.Conn, db string) StoreFunc {
	sql := "INSERT INTO " + db + ".bench_events (" + strings.Join(Columns, ", ") + ")"
	return func(ctx context.Context, e *eventv1.Event) error {
		b, err := conn.PrepareBatch(ctx, sql)
		if err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
		if err := b.Append(Row(e, true)...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("append row: %w", err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		return nil
	}
}
