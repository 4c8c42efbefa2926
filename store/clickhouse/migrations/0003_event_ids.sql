-- ClickHouse 18.16 orders UUIDs by their last 8 bytes first. event_keys
-- (0002) is ordered by event_id, so UUIDv7 ids (the collector's and the
-- SDKs': a millisecond timestamp first, random bits last) lie in random
-- order there, and every batch's id lookup read the whole key table: all
-- 10M rows and 0.2-0.3 s per 50,000-id batch at 10M keys, growing with the
-- table. event_ids holds the same keys sorted by the id's first 8 bytes
-- read as a big-endian number (id_prefix: the creation time of a UUIDv7),
-- so a batch of recent ids reads the few granules of its time range (5,760
-- rows, 42 ms in the same setup). The store's lookup computes id_prefix from
-- the batch's ids with the same expression (idPrefixOf in store.go). Random
-- (v4) ids still read every granule: clients should send UUIDv7 ids.
CREATE TABLE IF NOT EXISTS event_ids (
    event_id    UUID,
    occurred_at DateTime('UTC'),
    id_prefix   UInt64 MATERIALIZED reinterpretAsUInt64(reverse(unhex(substring(replaceAll(toString(event_id), '-', ''), 1, 16))))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (id_prefix, event_id)
SETTINGS index_granularity = 8192;

-- The keys stored so far. A rerun after a crash copies them again: the
-- same (id_prefix, event_id), which ReplacingMergeTree collapses.
INSERT INTO event_ids (event_id, occurred_at) SELECT event_id, occurred_at FROM event_keys;
