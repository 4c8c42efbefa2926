package inbox

import (
	"context"
	"fmt"
	"time"
)

// Delivery is one claimed webhook message.
type Delivery struct {
	ID              int64
	Endpoint        string
	WebhookID       string
	Payload         []byte
	EventReceivedAt time.Time
	// Attempt counts this attempt (1 for the first).
	Attempt int
	// LastError is the previous attempt's failure, for the dead letter.
	LastError string
}

// Claim leases up to limit due messages of endpoint for lease and counts
// the attempt. A message whose lease ran out (its process died mid
// delivery) is due again: deliveries are at least once.
func (s *Store) Claim(ctx context.Context, endpoint string, limit int, lease time.Duration) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `UPDATE webhook_outbox o
		SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
		WHERE o.id IN (SELECT id FROM webhook_outbox
			WHERE endpoint = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
			  AND (leased_until IS NULL OR leased_until < now())
			ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING o.id, o.endpoint, o.webhook_id, o.payload, o.event_received_at, o.attempts, o.last_error`,
		endpoint, limit, lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim webhooks: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.Endpoint, &d.WebhookID, &d.Payload, &d.EventReceivedAt, &d.Attempt, &d.LastError); err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim webhooks: %w", err)
	}
	return out, nil
}

// Delivered records a successful delivery.
func (s *Store) Delivered(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, "UPDATE webhook_outbox SET delivered_at = now(), leased_until = NULL WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// Retry records a failed attempt and when to try again.
func (s *Store) Retry(ctx context.Context, id int64, at time.Time, reason string) error {
	_, err := s.pool.Exec(ctx, "UPDATE webhook_outbox SET next_attempt_at = $2, leased_until = NULL, last_error = $3 WHERE id = $1", id, at, reason)
	if err != nil {
		return fmt.Errorf("record retry: %w", err)
	}
	return nil
}

// Dead records a message given up on (it is in the dead-letter topic).
func (s *Store) Dead(ctx context.Context, id int64, reason string) error {
	_, err := s.pool.Exec(ctx, "UPDATE webhook_outbox SET dead_at = now(), leased_until = NULL, last_error = $2 WHERE id = $1", id, reason)
	if err != nil {
		return fmt.Errorf("record dead letter: %w", err)
	}
	return nil
}

// Pending counts the messages of endpoint not yet delivered nor dead.
func (s *Store) Pending(ctx context.Context, endpoint string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM webhook_outbox WHERE endpoint = $1 AND delivered_at IS NULL AND dead_at IS NULL", endpoint).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("pending webhooks: %w", err)
	}
	return n, nil
}

// PruneOutbox deletes messages delivered or dead before t: the outbox only
// needs what is still to be sent, and recent history for inspection.
func (s *Store) PruneOutbox(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM webhook_outbox WHERE delivered_at < $1 OR dead_at < $1", t)
	if err != nil {
		return 0, fmt.Errorf("prune webhook outbox: %w", err)
	}
	return tag.RowsAffected(), nil
}
