-- +goose Up
-- event_keys (00002) is an event's identity: the writer stores an event only
-- when its event_id is new there, in the same transaction. The events
-- table's primary key (event_id, occurred_at) no longer decides anything,
-- yet every COPY paid for it: a unique B-tree over random ids on every
-- partition. No reader needs it either: dashboards and the operations
-- queries go by site and time (the three indexes of 00001), and ReadEvent
-- finds an event's partition through event_keys.occurred_at. On a
-- partitioned table this drops the constraint of every partition too.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_pkey;

-- +goose Down
ALTER TABLE events ADD PRIMARY KEY (event_id, occurred_at);
