"""The real stack for the integration tests, the way the Go e2e tests use it: the
running Kafka, PostgreSQL and ClickHouse (`make infra`), and per test its own topic,
databases, consumer groups and the collector and writer binaries built from the tree
on their own ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from clickhouse_driver import Client as ClickHouse  # type: ignore[import-untyped]
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

REPO = Path(__file__).resolve().parents[3]
KAFKA = os.environ.get("FOOTPRINT_TEST_KAFKA", "127.0.0.1:9092")
POSTGRES = os.environ.get(
    "FOOTPRINT_TEST_POSTGRES", "postgres://postgres:postgres@127.0.0.1:5432/postgres"
)
CLICKHOUSE = os.environ.get("FOOTPRINT_TEST_CLICKHOUSE", "127.0.0.1:9000")


def stack_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("FOOTPRINT_REQUIRE_STACK") == "1"


def require_stack() -> None:
    """Skip without the stack; fail instead where it is required (make test, CI)."""
    pg = psycopg.conninfo.conninfo_to_dict(POSTGRES)
    for what, host, port in (
        ("kafka", *KAFKA.split(",")[0].rsplit(":", 1)),
        ("postgresql", str(pg.get("host") or "127.0.0.1"), str(pg.get("port") or 5432)),
        ("clickhouse", *CLICKHOUSE.rsplit(":", 1)),
    ):
        try:
            socket.create_connection((str(host), int(port)), timeout=2).close()
        except OSError as err:
            msg = f"{what} not reachable at {host}:{port} ({err}); run `make infra`"
            if stack_required():
                pytest.fail(msg)
            pytest.skip(msg)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def free_addr() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def wait_until(what: str, check: object, timeout: float) -> None:
    """Poll check() until it is true, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.2)  # polling interval


def build(binaries: dict[str, str], out: Path) -> dict[str, Path]:
    paths = {}
    for name, pkg in binaries.items():
        path = out / name
        subprocess.run(["go", "build", "-o", str(path), "."], cwd=REPO / pkg, check=True)
        paths[name] = path
    return paths


@dataclass
class Process:
    name: str
    binary: Path
    env: dict[str, str]
    admin: str
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(self.binary)], env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        wait_until(f"{self.name} ready", self._ready, 60)

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
        with urllib.request.urlopen(f"http://{self.admin}/readyz", timeout=2) as r:
            return bool(r.status == 200)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Stack:
    """One test's slice of the stack: topic, databases, services."""

    site: str = field(default_factory=lambda: unique("pysite"))
    api_key: str = field(default_factory=lambda: unique("fp_py_key"))
    topic: str = field(default_factory=lambda: unique("py_e2e"))
    pg_db: str = field(default_factory=lambda: unique("fp_py"))
    ch_db: str = field(default_factory=lambda: unique("fp_py"))
    grpc_addr: str = field(default_factory=free_addr)
    procs: dict[str, Process] = field(default_factory=dict)

    @property
    def pg_url(self) -> str:
        return psycopg.conninfo.make_conninfo(POSTGRES, dbname=self.pg_db)

    def clickhouse(self) -> ClickHouse:
        host, port = CLICKHOUSE.rsplit(":", 1)
        return ClickHouse(host=host, port=int(port), user="default", database=self.ch_db)

    def pg_rows(self) -> list[tuple[str, str, str, int]]:
        with psycopg.connect(self.pg_url) as conn:
            return [
                (str(r[0]), r[1], r[2], int(r[3]))
                for r in conn.execute(
                    "SELECT event_id, http_method, path, http_status FROM footprint.events"
                    " WHERE site_id = %s AND name = 'page_view'",
                    (self.site,),
                )
            ]

    def ch_rows(self) -> list[tuple[str, str, str, int]]:
        # FINAL: duplicates that a merge would fold still count, so "exactly once" is real.
        rows = self.clickhouse().execute(
            "SELECT toString(event_id), http_method, path, http_status FROM events FINAL"
            " WHERE site_id = %(site)s AND name = 'page_view'",
            {"site": self.site},
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def pg_ids(self, name: str) -> list[str]:
        with psycopg.connect(self.pg_url) as conn:
            return [
                str(r[0])
                for r in conn.execute(
                    "SELECT event_id FROM footprint.events WHERE site_id = %s AND name = %s",
                    (self.site, name),
                )
            ]

    def ch_ids(self, name: str) -> list[str]:
        """Without FINAL: a duplicate would show until a merge folds it."""
        rows = self.clickhouse().execute(
            "SELECT toString(event_id) FROM events WHERE site_id = %(site)s AND name = %(name)s",
            {"site": self.site, "name": name},
        )
        return [r[0] for r in rows]

    def ch_count_all(self) -> int:
        """Rows without FINAL: a retried batch stored twice would show here until a merge."""
        rows = self.clickhouse().execute(
            "SELECT count() FROM events WHERE site_id = %(site)s", {"site": self.site}
        )
        return int(rows[0][0])


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    require_stack()
    s = Stack()
    bin_dir = Path(tempfile.mkdtemp(prefix="footprint-py-bin-"))
    bins = build(
        {"collector": "services/collector", "pg-writer": "services/pg-writer",
         "ch-writer": "services/ch-writer"},
        bin_dir,
    )  # fmt: skip
    admin = AdminClient({"bootstrap.servers": KAFKA})
    topics = [s.topic, s.topic + ".dlq"]
    for fut in admin.create_topics(
        [NewTopic(t, num_partitions=3, replication_factor=1) for t in topics]
    ).values():
        fut.result(timeout=30)
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{s.pg_db}"')
    host, port = CLICKHOUSE.rsplit(":", 1)
    ClickHouse(host=host, port=int(port), user="default").execute(f"CREATE DATABASE {s.ch_db}")
    common = {
        "FOOTPRINT_KAFKA_BROKERS": KAFKA,
        "FOOTPRINT_KAFKA_TOPIC": s.topic,
        "FOOTPRINT_KAFKA_DLQ_TOPIC": s.topic + ".dlq",
        "FOOTPRINT_LOG_LEVEL": "debug",
    }
    writer = {**common, "FOOTPRINT_WRITER_BATCH_MAX_WAIT": "200ms"}
    specs = {
        "pg-writer": {**writer, "FOOTPRINT_WRITER_GROUP": unique("py_pg"),
                      "FOOTPRINT_PG_URL": s.pg_url, "FOOTPRINT_PG_SCHEMA": "footprint"},
        "ch-writer": {**writer, "FOOTPRINT_WRITER_GROUP": unique("py_ch"),
                      "FOOTPRINT_CH_ADDR": CLICKHOUSE, "FOOTPRINT_CH_DATABASE": s.ch_db,
                      "FOOTPRINT_CH_USER": "default"},
        "collector": {**common, "FOOTPRINT_COLLECTOR_GRPC_ADDR": s.grpc_addr,
                      "FOOTPRINT_COLLECTOR_HTTP_ADDR": "off",
                      "FOOTPRINT_COLLECTOR_API_KEYS": f"{s.api_key}={s.site}"},
    }  # fmt: skip
    try:
        for name, env in specs.items():
            addr = free_addr()
            env["FOOTPRINT_ADMIN_ADDR"] = addr
            s.procs[name] = Process(name, bins[name], env, addr, tmp_path / f"{name}.log")
            s.procs[name].start()
        yield s
    finally:
        for p in s.procs.values():
            p.stop()
        shutil.rmtree(bin_dir, ignore_errors=True)
        admin.delete_topics(topics)
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{s.pg_db}" WITH (FORCE)')
        ClickHouse(host=host, port=int(port), user="default").execute(
            f"DROP DATABASE IF EXISTS {s.ch_db}"
        )
