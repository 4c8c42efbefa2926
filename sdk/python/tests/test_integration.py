"""A FastAPI app with the middleware and the asyncio client, against the real stack:
its requests land in PostgreSQL and ClickHouse with the right method, path and status,
each exactly once, including a batch retried across a collector restart."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from stackenv import Stack, stack, wait_until

from footprint import AsyncClient, Client, Event, FootprintMiddleware, Page

__all__ = ["stack"]  # the fixture


def make_app(client: AsyncClient, site: str) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with client:
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    def home() -> str:
        return "home"

    @app.get("/articles/{slug}")
    def article(slug: str) -> str:
        if slug == "missing":
            raise HTTPException(404)
        return slug

    @app.post("/articles/{slug}/comments", status_code=201)
    def comment(slug: str) -> dict[str, str]:
        return {"article": slug}

    @app.delete("/articles/{slug}/likes", status_code=204)
    def unlike(slug: str) -> None:
        return None

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    app.add_middleware(FootprintMiddleware, client=client, site_id=site)
    return app


def traffic(tc: TestClient, round_: int) -> Counter[tuple[str, str, int]]:
    """Requests of every kind; returns what the stores must hold for them."""
    want: Counter[tuple[str, str, int]] = Counter()
    for method, path, status in (
        ("GET", "/", 200),
        ("GET", f"/articles/a{round_}", 200),
        ("GET", "/articles/missing", 404),
        ("POST", f"/articles/a{round_}/comments", 201),
        ("DELETE", f"/articles/a{round_}/likes", 204),
    ):
        assert tc.request(method, path).status_code == status
        want[(method, path, status)] += 1
    assert tc.get("/healthz").status_code == 200  # skipped: never stored
    return want


def test_fastapi_requests_land_in_both_stores_exactly_once(stack: Stack) -> None:
    client = AsyncClient(
        stack.grpc_addr,
        insecure=True,
        api_key=stack.api_key,
        flush_interval=0.2,
        max_retries=-1,  # keep retrying while the collector is away
        backoff_initial=0.05,
        backoff_max=0.5,
        rpc_timeout=5,
    )
    app = make_app(client, stack.site)
    collector = stack.procs["collector"]
    with TestClient(app) as tc:
        assert tc.portal is not None
        want = traffic(tc, 1)
        assert tc.portal.call(client.flush, 30)
        assert client.stats().sent == 5

        # The collector goes away: the next batch fails and is retried until it is back.
        collector.stop()
        want += traffic(tc, 2)
        wait_until("a failed call retried", lambda: client.stats().retries >= 2, 30)
        assert client.stats().sent == 5
        collector.start()
        assert tc.portal.call(client.flush, 60)
        want += traffic(tc, 3)
        assert tc.portal.call(client.flush, 30)
    s = client.stats()
    assert (s.tracked, s.sent, s.dropped, s.failed, s.rejected) == (15, 15, 0, 0, 0)
    assert s.retries >= 2

    total = sum(want.values())
    wait_until("postgresql holds every event", lambda: len(stack.pg_rows()) >= total, 60)
    wait_until("clickhouse holds every event", lambda: len(stack.ch_rows()) >= total, 60)
    pg, ch = stack.pg_rows(), stack.ch_rows()
    for rows in (pg, ch):
        assert len(rows) == total
        assert len({r[0] for r in rows}) == total  # each event exactly once
        assert Counter((m, p, st) for _, m, p, st in rows) == want
    assert {r[0] for r in pg} == {r[0] for r in ch}
    assert stack.ch_count_all() == total  # not even an unmerged duplicate


def test_asyncio_event_loop_not_blocked_by_collector_outage(stack: Stack) -> None:
    """With the collector stopped, requests answer as fast as ever: nothing waits."""
    stack.procs["collector"].stop()
    client = AsyncClient(stack.grpc_addr, insecure=True, api_key=stack.api_key,
                         flush_interval=0.05, max_retries=-1, backoff_max=0.2)  # fmt: skip
    app = make_app(client, stack.site)

    async def run() -> float:
        async with client:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                loop = asyncio.get_running_loop()
                start = loop.time()
                for _ in range(50):
                    assert (await http.get("/")).status_code == 200
                elapsed = loop.time() - start
                stack.procs["collector"].start()
                assert await client.flush(60)
        return elapsed

    elapsed = asyncio.run(run())
    assert elapsed < 2.0, f"50 requests took {elapsed:.2f}s during the outage"
    assert client.stats().sent == 50
    wait_until("both stores hold the 50 events",
               lambda: len(stack.pg_rows()) == 50 and len(stack.ch_rows()) == 50, 60)  # fmt: skip


def test_thread_client_custom_events_land_once(stack: Stack) -> None:
    """The thread-based client with custom events (name, user, properties) and a WSGI-
    style caller: every event stored once in each store under the client's ids."""
    ids = []
    with Client(stack.grpc_addr, insecure=True, api_key=stack.api_key, site_id=stack.site,
                batch_size=7, flush_interval=0.1) as client:  # fmt: skip
        for i in range(20):
            ev = Event(name="comment_created", user_id=f"u-{i % 3}", http_method="POST",
                       page=Page(url=f"https://example.com/post/{i}"),
                       properties={"comment_id": f"c-{i}"})  # fmt: skip
            assert client.track(ev)
            ids.append(ev.event_id)
        assert client.flush(30)
    assert client.stats().sent == 20

    wait_until(
        "both stores hold the 20 comments",
        lambda: (
            len(stack.pg_ids("comment_created")) == 20
            and len(stack.ch_ids("comment_created")) == 20
        ),
        60,
    )
    assert sorted(stack.pg_ids("comment_created")) == sorted(ids)
    assert sorted(stack.ch_ids("comment_created")) == sorted(ids)
