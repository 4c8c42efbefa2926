-- +goose Up
-- One row per distinct event. Typed columns for everything a dashboard
-- filters or groups on; free-form properties as jsonb. Text columns are NOT
-- NULL DEFAULT '' because the protobuf source has no nulls either.
CREATE TABLE events (
    event_id           uuid        NOT NULL,
    site_id            text        NOT NULL,
    name               text        NOT NULL,
    occurred_at        timestamptz NOT NULL,
    received_at        timestamptz NOT NULL,
    visitor_id         text        NOT NULL DEFAULT '',
    user_id            text        NOT NULL DEFAULT '',
    session_id         text        NOT NULL DEFAULT '',
    url                text        NOT NULL DEFAULT '',
    path               text        NOT NULL DEFAULT '',
    title              text        NOT NULL DEFAULT '',
    referrer           text        NOT NULL DEFAULT '',
    http_method        text        NOT NULL DEFAULT '',
    http_status        bigint      NOT NULL DEFAULT 0,
    duration_us        bigint      NOT NULL DEFAULT 0,
    user_agent         text        NOT NULL DEFAULT '',
    locale             text        NOT NULL DEFAULT '',
    screen_width       bigint      NOT NULL DEFAULT 0,
    screen_height      bigint      NOT NULL DEFAULT 0,
    time_zone          text        NOT NULL DEFAULT '',
    ip                 text        NOT NULL DEFAULT '',
    utm_source         text        NOT NULL DEFAULT '',
    utm_medium         text        NOT NULL DEFAULT '',
    utm_campaign       text        NOT NULL DEFAULT '',
    utm_term           text        NOT NULL DEFAULT '',
    utm_content        text        NOT NULL DEFAULT '',
    properties         jsonb       NOT NULL DEFAULT '{}',
    browser            text        NOT NULL DEFAULT '',
    browser_version    text        NOT NULL DEFAULT '',
    os                 text        NOT NULL DEFAULT '',
    os_version         text        NOT NULL DEFAULT '',
    device_class       text        NOT NULL DEFAULT 'unspecified',
    is_bot             boolean     NOT NULL DEFAULT false,
    referrer_host      text        NOT NULL DEFAULT '',
    clock_clamped      boolean     NOT NULL DEFAULT false,
    visitor_id_derived boolean     NOT NULL DEFAULT false,
    event_id_assigned  boolean     NOT NULL DEFAULT false,
    -- A unique constraint on a partitioned table must contain the partition
    -- key. The collector keeps occurred_at when a client retries, so
    -- (event_id, occurred_at) identifies an event as well as event_id does.
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Rows outside every daily partition (very old or far-future occurred_at)
-- land here instead of being rejected.
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Dashboard access paths: time range per site, per page, per visitor.
CREATE INDEX events_site_time_idx ON events (site_id, occurred_at);
CREATE INDEX events_site_path_time_idx ON events (site_id, path, occurred_at);
CREATE INDEX events_site_visitor_time_idx ON events (site_id, visitor_id, occurred_at);

-- +goose Down
DROP TABLE events;
