-- One row per event; ReplacingMergeTree collapses rows with the same sorting
-- key (site_id, day, name, event_id) during merges, and queries deduplicate
-- before merges with FINAL or uniqExact(event_id).
-- 18.16-compatible subset: DateTime (seconds) plus a nanoseconds column
-- instead of DateTime64, two arrays instead of Map, UInt8 instead of Bool,
-- no CODEC, no TTL (retention drops monthly partitions).
CREATE TABLE IF NOT EXISTS events (
    event_id           UUID,
    site_id            String,
    name               String,
    occurred_at        DateTime('UTC'),
    occurred_at_ns     UInt32,
    received_at        DateTime('UTC'),
    received_at_ns     UInt32,
    visitor_id         String,
    user_id            String,
    session_id         String,
    url                String,
    path               String,
    title              String,
    referrer           String,
    http_method        String,
    http_status        UInt32,
    duration_us        UInt64,
    user_agent         String,
    locale             String,
    screen_width       UInt32,
    screen_height      UInt32,
    time_zone          String,
    ip                 String,
    utm_source         String,
    utm_medium         String,
    utm_campaign       String,
    utm_term           String,
    utm_content        String,
    properties_keys    Array(String),
    properties_values  Array(String),
    browser            String,
    browser_version    String,
    os                 String,
    os_version         String,
    device_class       Enum8('unspecified' = 0, 'desktop' = 1, 'mobile' = 2, 'tablet' = 3, 'bot' = 4, 'other' = 5),
    is_bot             UInt8,
    referrer_host      String,
    clock_clamped      UInt8,
    visitor_id_derived UInt8,
    event_id_assigned  UInt8
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (site_id, toDate(occurred_at), name, event_id)
SETTINGS index_granularity = 8192;
