#!/bin/sh
# Runs once, on an empty data dir (postgres image's /docker-entrypoint-initdb.d): the roles
# and grants of deploy/local/stack.sh's provision_postgres. Passwords come from the
# container's environment (deploy/compose/.env), never from this file.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -d footprint \
	-v writer="$PG_WRITER_PASSWORD" -v reader="$PG_READER_PASSWORD" -v notifier="$PG_NOTIFIER_PASSWORD" <<'SQL'
CREATE ROLE footprint_writer LOGIN PASSWORD :'writer';
CREATE ROLE footprint_reader LOGIN PASSWORD :'reader';
CREATE ROLE footprint_notifier LOGIN PASSWORD :'notifier';
REVOKE ALL ON DATABASE footprint FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE footprint TO footprint_writer, footprint_reader, footprint_notifier;
-- The writer bulk-loads through a temporary staging table (COPY, then INSERT ... ON CONFLICT).
GRANT TEMPORARY ON DATABASE footprint TO footprint_writer;
CREATE SCHEMA footprint AUTHORIZATION footprint_writer;
ALTER ROLE footprint_writer SET search_path = footprint;
ALTER ROLE footprint_reader SET search_path = footprint;
GRANT USAGE ON SCHEMA footprint TO footprint_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE footprint_writer IN SCHEMA footprint GRANT SELECT ON TABLES TO footprint_reader;
CREATE SCHEMA notifier AUTHORIZATION footprint_notifier;
ALTER ROLE footprint_notifier SET search_path = notifier;
SQL
