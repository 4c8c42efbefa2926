#!/usr/bin/env bash
# The chdb-core check (part of `make test`): runs every ClickHouse DDL statement of
# the store's migrations, the ClickHouse writer's INSERTs and every dashboard query
# text the query service generates (comparing each answer with the 18.16 server's
# over the same rows) on a current ClickHouse release, in-process via
# chdb-core (PyPI, pinned below) in a venv under .cache/. The stack's server is
# ClickHouse 18.16; this keeps the same SQL working on what users run.
# Needs the running stack (the writer's rows are produced by the real write path).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# ClickHouse 26.9 in-process; bump deliberately.
CHDB_VERSION=26.9.0
VENV="$REPO/.cache/chdb-venv"

if ! "$VENV/bin/python" -c "import chdb, sys; sys.exit(0 if chdb.__version__ == '$CHDB_VERSION' else 1)" 2>/dev/null; then
	echo "chdb-check: installing chdb-core==$CHDB_VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "chdb-core==$CHDB_VERSION"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd services/query && FOOTPRINT_REQUIRE_STACK=1 FOOTPRINT_QUERY_SQL_DUMP="$work" \
	go test -count=1 -run '^TestDumpClickHouseSQL$' ./internal/equality/ >"$work/dump.log" 2>&1) ||
	{ cat "$work/dump.log"; echo "chdb-check: dumping the SQL texts failed"; exit 1; }
"$VENV/bin/python" scripts/chdb_check.py "$work/session" store/clickhouse/migrations "$work/insert.sql" "$work/queries.sql" "$work/results.jsonl"
