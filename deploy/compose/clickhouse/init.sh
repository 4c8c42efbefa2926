#!/bin/sh
# Runs once, on an empty data dir (clickhouse image's /docker-entrypoint-initdb.d): the
# read-only user of the query service. footprint_writer is the image's CLICKHOUSE_USER.
set -eu
clickhouse-client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery --query "
CREATE USER IF NOT EXISTS footprint_reader IDENTIFIED WITH sha256_password BY '$CH_READER_PASSWORD' SETTINGS readonly = 1;
GRANT SELECT ON footprint.* TO footprint_reader;
"
