"""The asyncio client: for ASGI apps (FastAPI, Starlette), in their event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import grpc
import grpc.aio

from footprint._config import ClientConfig
from footprint._core import Core, Stats
from footprint.client import ingest_stub
from footprint.collector.v1 import collector_pb2
from footprint.event.v1 import event_pb2

if TYPE_CHECKING:
    AioIngestCallable = grpc.aio.UnaryUnaryMultiCallable[
        collector_pb2.IngestRequest, collector_pb2.IngestResponse
    ]


class AsyncClient:
    """Sends events to the collector from a task in the app's event loop.

    Create it anywhere (for example at import, to hand it to the middleware), then
    ``await client.start()`` in the app's lifespan and ``await client.aclose()`` at
    shutdown, or use ``async with client``. track() is a plain, non-blocking method;
    events tracked before start() wait in the queue. Same semantics as `Client`.
    """

    def __init__(
        self, address: str = "", *, config: ClientConfig | None = None, **options: Any
    ) -> None:
        cfg = config if config is not None else ClientConfig(address=address, **options)
        self._core = Core(cfg)
        self._cfg = cfg
        self._metadata = cfg.metadata()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._channel: grpc.aio.Channel | None = None
        self._ingest: AioIngestCallable | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._progress: asyncio.Condition | None = None
        self._abort = False
        self._inflight: grpc.aio.UnaryUnaryCall[Any, Any] | None = None
        self._closing = False
        self._flush_target = 0

    async def start(self) -> None:
        """Open the channel and start the sender task in the running loop."""
        if self._task is not None:
            return
        cfg = self._cfg
        if cfg.insecure:
            self._channel = grpc.aio.insecure_channel(cfg.address, options=cfg.grpc_options())
        else:
            creds = cfg.credentials or grpc.ssl_channel_credentials()
            self._channel = grpc.aio.secure_channel(cfg.address, creds, options=cfg.grpc_options())
        self._ingest = cast("AioIngestCallable", ingest_stub(self._channel))
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task = asyncio.create_task(self._run(), name="footprint-sender")

    def track(self, event: event_pb2.Event) -> bool:
        """Queue event and return at once (see `Client.track`). Safe to call from the
        loop and from other threads."""
        queued = self._core.push(event)
        if len(self._core) >= self._cfg.batch_size:
            self._wakeup()
        return queued

    def stats(self) -> Stats:
        return self._core.stats()

    async def flush(self, timeout: float | None = None) -> bool:
        """Send every event queued before the call and wait until each is settled.
        False when timeout (seconds) passed first."""
        if self._progress is None:
            raise RuntimeError("footprint: AsyncClient.flush before start")
        target = self._core.accepted
        self._flush_target = max(self._flush_target, target)
        self._wakeup()
        progress = self._progress

        async def settled() -> None:
            async with progress:
                await progress.wait_for(lambda: self._core.done >= target)

        try:
            await asyncio.wait_for(settled(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self, timeout: float | None = None) -> int:
        """Stop accepting events, send what is queued, close the channel. See
        `Client.close`; returns the number of events that could not be delivered."""
        if self._closing:
            return 0
        self._closing = True
        self._core.close()
        failed_before = self._core.failed
        if self._task is None:
            # Never started: what is queued cannot be sent.
            batch = self._core.take()
            while batch:
                self._core.fail(batch, "client closed before start")
                batch = self._core.take()
            return self._core.failed - failed_before
        self._wakeup()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._abort = True
            if self._inflight is not None:
                self._inflight.cancel()
            self._wakeup()
            await self._task
        if self._channel is not None:
            await self._channel.close()
        return self._core.failed - failed_before

    async def __aenter__(self) -> AsyncClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _wakeup(self) -> None:
        if self._wake is None or self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _wait_for_work(self) -> bool:
        assert self._wake is not None
        if (
            len(self._core) < self._cfg.batch_size
            and not self._closing
            and self._core.done >= self._flush_target
        ):
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._cfg.flush_interval)
        return self._closing

    async def _run(self) -> None:
        assert self._progress is not None
        while True:
            closing = await self._wait_for_work()
            while batch := self._core.take():
                await self._send(batch)
                async with self._progress:
                    self._progress.notify_all()
                if not closing and len(batch) < self._cfg.batch_size:
                    break
            if closing and len(self._core) == 0:
                return

    async def _send(self, batch: list[event_pb2.Event]) -> None:
        assert self._ingest is not None
        request = collector_pb2.IngestRequest(events=batch)
        attempt = 0
        while True:
            if self._abort:
                self._core.fail(batch, "close deadline passed")
                return
            call = self._ingest(request, timeout=self._cfg.rpc_timeout, metadata=self._metadata)
            self._inflight = call
            try:
                response = await call
            except asyncio.CancelledError:
                if not self._abort:
                    raise
                self._core.fail(batch, "close deadline passed (call cancelled)")
                return
            except grpc.RpcError as err:
                if self._abort:
                    self._core.fail(batch, f"close deadline passed: {err}")
                    return
                wait = self._core.retry_wait(batch, err, attempt)
                if wait is None:
                    return
                await self._sleep(wait)
                attempt += 1
                continue
            finally:
                self._inflight = None
            self._core.settle(batch, response)
            return

    async def _sleep(self, seconds: float) -> None:
        """A backoff wait that aclose's deadline cuts short."""
        assert self._wake is not None
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._abort:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)
