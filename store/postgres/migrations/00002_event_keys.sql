-- +goose Up
-- event_id alone is an event's identity. The events table cannot say so: a
-- unique constraint on a partitioned table must contain the partition key
-- (occurred_at), and a retried event that the collector clamped again has a
-- new occurred_at. This small unpartitioned table holds one row per stored
-- event_id, written in the same transaction as the events: only ids newly
-- inserted here reach the events table, so the first copy (in Kafka order)
-- is the one kept, as in ClickHouse. occurred_at is the kept copy's, so
-- retention can delete keys together with their partitions.
CREATE TABLE event_keys (
    event_id    uuid        PRIMARY KEY,
    occurred_at timestamptz NOT NULL
);

-- Retention deletes keys by time; keys arrive roughly in time order, so a
-- BRIN index is tiny and nearly free to maintain.
CREATE INDEX event_keys_occurred_at_idx ON event_keys USING brin (occurred_at);

-- A database written before this migration: one key per stored event_id
-- (the earliest copy's time when a clamped retry stored two).
INSERT INTO event_keys (event_id, occurred_at)
SELECT event_id, min(occurred_at) FROM events GROUP BY event_id;

-- +goose Down
DROP TABLE event_keys;
