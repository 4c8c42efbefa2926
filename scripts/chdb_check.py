"""Runs Footprint's ClickHouse SQL on a current ClickHouse (chdb-core, in-process).

Usage: chdb_check.py <session-dir> <migrations-dir> <insert.sql> <queries.sql>

Every migration statement (in file order), the writer's INSERTs and every
dashboard query text must execute; the first failure is printed with its
statement and the script exits 1. The stack's server is ClickHouse 18.16; this
checks that the same texts also work on the release chdb-core embeds.
"""

import pathlib
import re
import sys

from chdb import session


def statements(sql: str):
    """Splits a migration file on semicolons at line ends, without comments."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    for part in re.split(r";\s*\n", body + "\n"):
        if part.strip():
            yield part.strip().rstrip(";")


def run(sess, kind, sql):
    try:
        sess.query(sql)
    except Exception as exc:  # chdb raises its own error types
        print(f"chdb-check: {kind} failed on ClickHouse {version}:\n  {exc}\n  statement: {sql[:2000]}", file=sys.stderr)
        sys.exit(1)


def main():
    sess_dir, migrations, insert_file, queries_file = sys.argv[1:5]
    global version
    sess = session.Session(sess_dir)
    version = str(sess.query("SELECT version()", "CSV")).strip().strip('"')
    sess.query("CREATE DATABASE IF NOT EXISTS footprint")
    sess.query("USE footprint")
    ddl = 0
    for f in sorted(pathlib.Path(migrations).glob("*.sql")):
        for st in statements(f.read_text()):
            run(sess, f"migration {f.name}", st)
            ddl += 1
    inserts = [l for l in pathlib.Path(insert_file).read_text().splitlines() if l.strip()]
    for st in inserts:
        run(sess, "writer insert", st)
    queries = [l for l in pathlib.Path(queries_file).read_text().splitlines() if l.strip()]
    for st in queries:
        run(sess, "dashboard query", st)
    rows = str(sess.query("SELECT count() FROM footprint.events", "CSV")).strip()
    if rows in ("", "0"):
        print("chdb-check: the writer's insert stored no rows", file=sys.stderr)
        sys.exit(1)
    print(f"chdb-check: ClickHouse {version}: {ddl} DDL statements, {len(inserts)} writer inserts ({rows} events), "
          f"{len(queries)} dashboard queries: all ran")


if __name__ == "__main__":
    main()
