"""The asyncio client against the in-process fake collector."""

from __future__ import annotations

import asyncio
import time

import grpc
from fakecollector import FakeCollector
from test_client import page_view

from footprint import AsyncClient


def aclient(fake: FakeCollector, **options: object) -> AsyncClient:
    opts: dict[str, object] = {
        "insecure": True,
        "site_id": "site1",
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    opts.update(options)
    return AsyncClient(fake.address, **opts)  # type: ignore[arg-type]


def test_batches_by_size_and_close_drains(fake: FakeCollector) -> None:
    async def run() -> None:
        async with aclient(fake, batch_size=10, flush_interval=60) as c:
            for i in range(25):
                assert c.track(page_view(f"/{i}"))
            await asyncio.to_thread(fake.wait_for, lambda: len(fake.calls) >= 2)
        assert [len(call.ids) for call in fake.calls] == [10, 10, 5]
        s = c.stats()
        assert (s.tracked, s.sent, s.queued) == (25, 25, 0)

    asyncio.run(run())


def test_batches_by_time(fake: FakeCollector) -> None:
    async def run() -> None:
        async with aclient(fake, batch_size=100, flush_interval=0.1) as c:
            c.track(page_view())
            c.track(page_view())
            await asyncio.to_thread(fake.wait_for, lambda: len(fake.events()) == 2, 5)

    asyncio.run(run())


def test_retry_keeps_event_ids(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED]

    async def run() -> None:
        async with aclient(fake) as c:
            for _ in range(4):
                c.track(page_view())
            assert await c.flush(timeout=10)
            assert len(fake.calls) == 3
            assert fake.calls[1].request == fake.calls[0].request
            assert fake.calls[2].request == fake.calls[0].request
            s = c.stats()
            assert (s.sent, s.retries) == (4, 2)

    asyncio.run(run())


def test_full_queue_drops_without_blocking(fake: FakeCollector) -> None:
    fake.gate.clear()

    async def run() -> None:
        c = aclient(fake, batch_size=5, queue_size=5)
        # Not started: nothing leaves the queue.
        start = time.perf_counter()
        results = [c.track(page_view()) for _ in range(50)]
        assert time.perf_counter() - start < 0.5
        assert (results.count(True), results.count(False)) == (5, 45)
        fake.gate.set()
        await c.start()
        assert await c.aclose() == 0
        s = c.stats()
        assert (s.tracked, s.sent, s.dropped) == (50, 5, 45)

    asyncio.run(run())


def test_aclose_deadline_gives_up(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAVAILABLE] * 10_000

    async def run() -> None:
        c = aclient(fake, max_retries=-1)
        await c.start()
        for _ in range(3):
            c.track(page_view())
        assert await c.aclose(timeout=0.3) == 3
        assert c.stats().failed == 3
        assert not c.track(page_view())

    asyncio.run(run())


def test_flush_times_out_while_collector_holds(fake: FakeCollector) -> None:
    fake.gate.clear()

    async def run() -> None:
        async with aclient(fake) as c:
            c.track(page_view())
            assert not await c.flush(timeout=0.2)
            fake.gate.set()
            assert await c.flush(timeout=10)

    asyncio.run(run())


def test_track_from_another_thread(fake: FakeCollector) -> None:
    async def run() -> None:
        async with aclient(fake, batch_size=2, flush_interval=60) as c:
            await asyncio.to_thread(lambda: [c.track(page_view()) for _ in range(2)])
            await asyncio.to_thread(fake.wait_for, lambda: len(fake.events()) == 2, 5)

    asyncio.run(run())
