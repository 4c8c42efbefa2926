-- event_id alone is an event's identity. The events table's sorting key
-- (site_id, day, name, event_id) cannot say so: a retry that the collector
-- clamped again has a new occurred_at, maybe another day, and
-- ReplacingMergeTree would keep the last copy where PostgreSQL keeps the
-- first. This table holds one row per stored event_id. The ch-writer looks a
-- batch's ids up here and appends only the new events, then their keys: the
-- first copy in Kafka order is the one kept, as in PostgreSQL. A crash
-- between the two appends re-appends the identical row on redelivery, which
-- the events table's ReplacingMergeTree collapses (and FINAL / uniqExact
-- count once before merges). Monthly partitions like events, so retention
-- drops the keys with their events.
CREATE TABLE IF NOT EXISTS event_keys (
    event_id    UUID,
    occurred_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id
SETTINGS index_granularity = 8192;

-- A database written before this migration: one key per stored event_id.
INSERT INTO event_keys (event_id, occurred_at) SELECT event_id, min(occurred_at) FROM events GROUP BY event_id;
