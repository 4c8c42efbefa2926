package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/sink/sinkerr"
	"github.com/footprint/footprint/services/notifier/internal/rules"
)

// Change is one committed change of the inbox and the event that made it.
type Change struct {
	Action       *rules.Action
	Notification Notification
	// Grouped is true when the event joined an existing group.
	Grouped bool
}

// Skip is one event a rule matched that made no notification.
type Skip struct {
	Rule, Reason string
}

// WriteResult is what one committed batch did.
type WriteResult struct {
	Changes []Change
	Skips   []Skip
	// Duplicates are events already in the inbox (redeliveries), and events
	// of an actor already counted in their group.
	Duplicates int
	// Webhooks is the number of outbox rows written.
	Webhooks int
}

// WriteBatch applies the events of one consumed batch in one transaction:
// notifications, their source events and webhook outbox rows, then a
// NOTIFY per changed inbox. Events no rule matches cost nothing. It is the
// sink.Store write: after an error the loop calls it again with the same
// events, and an event already applied changes nothing.
func (s *Store) WriteBatch(ctx context.Context, events []*eventv1.Event) error {
	var res WriteResult
	var actions []*rules.Action
	for _, ev := range events {
		a, skip := s.rules.Plan(ev)
		switch {
		case a != nil:
			actions = append(actions, a)
		case skip != "":
			res.Skips = append(res.Skips, Skip{Rule: s.rules.ForEvent(ev.GetName()).Name, Reason: skip})
		}
	}
	if len(actions) > 0 {
		if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.apply(ctx, tx, actions, &res) }); err != nil {
			return classify(err)
		}
	}
	if s.hooks.Committed != nil && (len(res.Changes) > 0 || len(res.Skips) > 0 || res.Duplicates > 0) {
		s.hooks.Committed(res)
	}
	return nil
}

// classify marks errors caused by an event's data (invalid text such as a
// NUL byte, a value out of range: SQLSTATE class 22) as rejected, so the
// loop isolates the event and dead-letters it instead of retrying forever.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 && pgErr.Code[:2] == "22" {
		return fmt.Errorf("%w: %w", sinkerr.ErrRejected, err)
	}
	return err
}

func (s *Store) apply(ctx context.Context, tx pgx.Tx, actions []*rules.Action, res *WriteResult) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(writeLock)); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	notified := map[[2]string]bool{}
	for _, a := range actions {
		ch, changed, err := s.applyOne(ctx, tx, a)
		if err != nil {
			return fmt.Errorf("event %s: %w", a.EventID, err)
		}
		if !changed {
			res.Duplicates++
			continue
		}
		res.Changes = append(res.Changes, ch)
		n, err := s.enqueueWebhooks(ctx, tx, ch)
		if err != nil {
			return err
		}
		res.Webhooks += n
		notified[[2]string{a.SiteID, a.Recipient}] = true
	}
	for k := range notified {
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, k[0]+"\n"+k[1]); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	return nil
}

// applyOne records one event. changed is false when the event was applied
// before (redelivery) or its actor is already counted in its group.
func (s *Store) applyOne(ctx context.Context, tx pgx.Tx, a *rules.Action) (Change, bool, error) {
	var seen bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM sources WHERE event_id = $1)", a.EventID).Scan(&seen); err != nil {
		return Change{}, false, fmt.Errorf("check source: %w", err)
	}
	if seen {
		return Change{}, false, nil
	}
	if a.Rule.Grouped() {
		id, found, err := s.openGroup(ctx, tx, a)
		if err != nil {
			return Change{}, false, err
		}
		if found {
			return s.joinGroup(ctx, tx, a, id)
		}
	}
	n, err := s.insert(ctx, tx, a)
	if err != nil {
		return Change{}, false, err
	}
	return Change{Action: a, Notification: n}, true, nil
}

// openGroup finds the group an event of a grouped rule belongs to: same
// recipient, rule and object, and the event inside the group's window.
func (s *Store) openGroup(ctx context.Context, tx pgx.Tx, a *rules.Action) (int64, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM notifications
		WHERE site_id = $1 AND user_id = $2 AND rule = $3 AND group_key = $4 AND window_start <= $5 AND $5 < window_end
		ORDER BY window_start DESC LIMIT 1 FOR UPDATE`,
		a.SiteID, a.Recipient, a.Rule.Name, a.ObjectID, a.OccurredAt).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("find group: %w", err)
	}
	return id, true, nil
}

func (s *Store) insert(ctx context.Context, tx pgx.Tx, a *rules.Action) (Notification, error) {
	var groupKey *string
	end := a.OccurredAt
	if a.Rule.Grouped() {
		groupKey = &a.ObjectID
		end = a.OccurredAt.Add(a.Rule.Group.Window)
	}
	n, err := scanNotification(tx.QueryRow(ctx, `INSERT INTO notifications
		(site_id, user_id, rule, event_name, group_key, window_start, window_end, actor_name, object_id, object_title, text, in_inbox)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+columns,
		a.SiteID, a.Recipient, a.Rule.Name, a.Rule.Event, groupKey, a.OccurredAt, end, a.ActorName, a.ObjectID, a.ObjectTitle,
		a.Rule.TextFor(a.ActorName, a.ObjectTitle, 1), a.Rule.Delivers(rules.ChannelInbox)))
	if err != nil {
		return Notification{}, fmt.Errorf("insert notification: %w", err)
	}
	return n, s.addSource(ctx, tx, a, n.ID)
}

func (s *Store) addSource(ctx context.Context, tx pgx.Tx, a *rules.Action, id int64) error {
	if _, err := tx.Exec(ctx, "INSERT INTO sources (event_id, notification_id, actor, occurred_at) VALUES ($1, $2, $3, $4)",
		a.EventID, id, a.Actor(), a.OccurredAt); err != nil {
		return fmt.Errorf("insert source: %w", err)
	}
	return nil
}

// joinGroup adds the event to group id. A new actor updates the count, the
// text (the newest actor named first) and the change sequence; an actor
// already counted only records the event.
func (s *Store) joinGroup(ctx context.Context, tx pgx.Tx, a *rules.Action, id int64) (Change, bool, error) {
	var known bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM sources WHERE notification_id = $1 AND actor = $2)", id, a.Actor()).Scan(&known); err != nil {
		return Change{}, false, fmt.Errorf("check actor: %w", err)
	}
	if err := s.addSource(ctx, tx, a, id); err != nil {
		return Change{}, false, err
	}
	if known {
		return Change{}, false, nil
	}
	var actors int
	if err := tx.QueryRow(ctx, "SELECT count(DISTINCT actor) FROM sources WHERE notification_id = $1", id).Scan(&actors); err != nil {
		return Change{}, false, fmt.Errorf("count actors: %w", err)
	}
	n, err := scanNotification(tx.QueryRow(ctx, `UPDATE notifications
		SET actor_name = $2, actor_count = $3, text = $4, updated_at = now(), seq = nextval('change_seq')
		WHERE id = $1 RETURNING `+columns,
		id, a.ActorName, actors, a.Rule.TextFor(a.ActorName, a.ObjectTitle, actors)))
	if err != nil {
		return Change{}, false, fmt.Errorf("update group: %w", err)
	}
	return Change{Action: a, Notification: n, Grouped: true}, true, nil
}

// enqueueWebhooks writes one outbox row per endpoint of the rule. The
// webhook-id is derived from the source event, so it is the same for every
// attempt and never reused for another change.
func (s *Store) enqueueWebhooks(ctx context.Context, tx pgx.Tx, ch Change) (int, error) {
	hooks := ch.Action.Rule.Webhooks
	if len(hooks) == 0 {
		return 0, nil
	}
	typ := TypeCreated
	if ch.Grouped {
		typ = TypeUpdated
	}
	body, err := webhookPayload(typ, ch.Action.EventID, ch.Notification)
	if err != nil {
		return 0, fmt.Errorf("webhook payload: %w", err)
	}
	for _, h := range hooks {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_outbox (endpoint, webhook_id, notification_id, payload, event_received_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint, webhook_id) DO NOTHING`,
			h.Name, "msg_"+ch.Action.EventID, ch.Notification.ID, body, ch.Action.ReceivedAt); err != nil {
			return 0, fmt.Errorf("enqueue webhook: %w", err)
		}
	}
	return len(hooks), nil
}
