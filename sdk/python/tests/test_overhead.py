"""The middleware's cost per request, next to the same FastAPI app without it.

Each request is one ASGI call driven directly (no HTTP server, no TestClient), so the
difference between the two is the middleware: reading the headers, building the event,
and Client.track's queue push. The client is the thread-based one, sending to the
in-process fake collector in the background as in production."""

from __future__ import annotations

import asyncio
import timeit
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakecollector import FakeCollector
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from report import REPORT

from footprint import Client, FootprintMiddleware

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/pricing",
    "raw_path": b"/pricing",
    "query_string": b"utm_source=news",
    "root_path": "",
    "headers": [
        (b"host", b"example.com"),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"),
        (b"referer", b"https://www.google.com/"),
        (b"accept-language", b"en-GB,en;q=0.9"),
    ],
    "client": ("203.0.113.9", 50000),
    "server": ("example.com", 80),
}


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/pricing")
    async def pricing() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


#: Requests per measured call: one event-loop run drives this many, so the loop's own
#: start-up cost is spread out.
PER_CALL = 100


def requests(app: Any, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    async def many() -> None:
        for _ in range(PER_CALL):
            await app(dict(SCOPE), _receive, _send)

    def run() -> None:
        loop.run_until_complete(many())

    return run


@pytest.fixture
def apps(fake: FakeCollector) -> Iterator[tuple[Callable[[], None], Callable[[], None], Client]]:
    loop = asyncio.new_event_loop()
    client = Client(fake.address, insecure=True, site_id="bench", queue_size=1_000_000)
    app = bare_app()
    yield requests(app, loop), requests(FootprintMiddleware(app, client=client), loop), client
    client.close()
    loop.close()


def test_bench_bare_app(benchmark: Any, apps: Any) -> None:
    benchmark.group = f"{PER_CALL} ASGI requests to FastAPI"
    benchmark(apps[0])


def test_bench_app_with_middleware(benchmark: Any, apps: Any) -> None:
    benchmark.group = f"{PER_CALL} ASGI requests to FastAPI"
    benchmark(apps[1])
    assert apps[2].stats().tracked > 0


async def plain_app(scope: Any, receive: Any, send: Any) -> None:
    """The least an ASGI app can do: what remains next to it is the middleware alone."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def per_request(bare: Callable[[], None], wrapped: Callable[[], None]) -> tuple[float, float]:
    """Best per-request time of each, interleaved: on a shared machine the least
    disturbed samples are the closest to the real cost."""
    bare()
    wrapped()
    t_bare, t_wrapped = [], []
    for _ in range(15):
        t_bare.append(timeit.timeit(bare, number=3) / (3 * PER_CALL))
        t_wrapped.append(timeit.timeit(wrapped, number=3) / (3 * PER_CALL))
    return min(t_bare), min(t_wrapped)


def test_middleware_overhead_per_request(apps: Any, fake: FakeCollector) -> None:
    bare, with_mw, client = apps
    b, m = per_request(bare, with_mw)
    REPORT.append(
        f"FastAPI app: {b * 1e6:.1f} us per request bare, {m * 1e6:.1f} us with "
        f"FootprintMiddleware (+{(m - b) * 1e6:.1f} us); best of 15 x {3 * PER_CALL} ASGI calls"
    )
    loop = asyncio.new_event_loop()
    try:
        mw = FootprintMiddleware(plain_app, client=client)
        pb, pm = per_request(requests(plain_app, loop), requests(mw, loop))
    finally:
        loop.close()
    REPORT.append(
        f"middleware overhead: {(pm - pb) * 1e6:.1f} us per request (minimal ASGI app "
        f"{pb * 1e6:.1f} us bare, {pm * 1e6:.1f} us with FootprintMiddleware and Client.track)"
    )
    assert client.stats().dropped == 0
    assert client.stats().tracked > 0
    assert pm - pb < 500e-6, "the middleware costs more than 0.5 ms per request"
