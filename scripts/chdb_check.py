"""Runs Footprint's ClickHouse SQL on a current ClickHouse (chdb-core, in-process).

Usage: chdb_check.py <session-dir> <migrations-dir> <insert.sql> <queries.sql> <results.jsonl>

Every migration statement (in file order), the writer's INSERTs and every
dashboard query text must execute, and each query must return exactly the rows
the 18.16 server returned over the same rows (results.jsonl, one JSON array of
rows per query). The first failure is printed with its statement and the script
exits 1. The stack's server is ClickHouse 18.16; this checks that the same texts
also work, with the same answers, on the release chdb-core embeds.
"""

import json
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


def run(sess, kind, sql, fmt="CSV"):
    try:
        return sess.query(sql, fmt)
    except Exception as exc:  # chdb raises its own error types
        print(f"chdb-check: {kind} failed on ClickHouse {version}:\n  {exc}\n  statement: {sql[:2000]}", file=sys.stderr)
        sys.exit(1)


def main():
    sess_dir, migrations, insert_file, queries_file, results_file = sys.argv[1:6]
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
    expected = [json.loads(l) for l in pathlib.Path(results_file).read_text().splitlines() if l.strip()]
    if len(expected) != len(queries):
        print(f"chdb-check: {len(queries)} queries but {len(expected)} answers from 18.16", file=sys.stderr)
        sys.exit(1)
    for st, want in zip(queries, expected):
        out = str(run(sess, "dashboard query", st, "JSONCompact")).strip()
        got = [[str(v) for v in row] for row in (json.loads(out)["data"] if out else [])]
        if got != want:
            print(f"chdb-check: ClickHouse {version} and 18.16 answer differently:\n  {version}: {got[:5]}\n  18.16: {want[:5]}\n"
                  f"  statement: {st[:2000]}", file=sys.stderr)
            sys.exit(1)
    rows = str(sess.query("SELECT count() FROM footprint.events", "CSV")).strip()
    if rows in ("", "0"):
        print("chdb-check: the writer's insert stored no rows", file=sys.stderr)
        sys.exit(1)
    print(f"chdb-check: ClickHouse {version}: {ddl} DDL statements, {len(inserts)} writer inserts ({rows} events), "
          f"{len(queries)} dashboard queries: all ran, answers identical to 18.16")


if __name__ == "__main__":
    main()
