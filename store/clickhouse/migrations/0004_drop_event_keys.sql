-- event_keys is replaced by event_ids (0003). Its own migration, so that
-- 0003 is recorded before its source goes: a rerun of 0003 needs it.
DROP TABLE IF EXISTS event_keys;
