-- +goose Up
-- Every change of the inbox (a new notification, a group gaining a member)
-- takes the next value: it is the Subscribe cursor. Writers serialise on an
-- advisory lock, so values become visible in order and a cursor never skips
-- a change that commits later.
CREATE SEQUENCE change_seq;

-- One row per source event, or per group of events (one recipient, one
-- object, one rule, within the rule's window from the group's first event).
CREATE TABLE notifications (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      text        NOT NULL,
    user_id      text        NOT NULL,
    rule         text        NOT NULL,
    event_name   text        NOT NULL,
    -- Object id of a grouped notification; NULL for one-event notifications.
    group_key    text,
    -- A group holds events with window_start <= occurred_at < window_end.
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    actor_name   text        NOT NULL,
    actor_count  integer     NOT NULL DEFAULT 1,
    object_id    text        NOT NULL DEFAULT '',
    object_title text        NOT NULL DEFAULT '',
    text         text        NOT NULL,
    -- False when the rule delivers by webhook only: kept for dedup, not listed.
    in_inbox     boolean     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz,
    seq          bigint      NOT NULL DEFAULT nextval('change_seq')
);
CREATE UNIQUE INDEX notifications_seq_idx ON notifications (seq);
CREATE INDEX notifications_user_seq_idx ON notifications (site_id, user_id, seq);
CREATE INDEX notifications_group_idx ON notifications (site_id, user_id, rule, group_key, window_start)
    WHERE group_key IS NOT NULL;
CREATE INDEX notifications_unread_idx ON notifications (site_id, user_id) WHERE read_at IS NULL AND in_inbox;

-- Every source event that reached the inbox, once (the event_id is the
-- primary key): a redelivered event finds its row and changes nothing, so it
-- never makes a second notification or a second group member.
CREATE TABLE sources (
    event_id        text        PRIMARY KEY,
    notification_id bigint      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    actor           text        NOT NULL,
    occurred_at     timestamptz NOT NULL
);
CREATE INDEX sources_notification_idx ON sources (notification_id, actor);

-- The webhook outbox, written in the same transaction as the inbox and
-- delivered by per-endpoint workers. The body is fixed when the row is
-- written, so every retry sends the same bytes under the same webhook-id.
CREATE TABLE webhook_outbox (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint          text        NOT NULL,
    webhook_id        text        NOT NULL,
    notification_id   bigint      NOT NULL,
    payload           bytea       NOT NULL,
    event_received_at timestamptz NOT NULL,
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    leased_until      timestamptz,
    last_error        text        NOT NULL DEFAULT '',
    delivered_at      timestamptz,
    dead_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint, webhook_id)
);
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (endpoint, next_attempt_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;

-- +goose Down
DROP TABLE webhook_outbox;
DROP TABLE sources;
DROP TABLE notifications;
DROP SEQUENCE change_seq;
