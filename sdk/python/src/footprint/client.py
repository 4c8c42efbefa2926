"""The thread-based client: for WSGI apps, scripts and workers."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import grpc

from footprint._config import ClientConfig
from footprint._core import Core, Stats
from footprint.collector.v1 import collector_pb2, collector_pb2_grpc
from footprint.event.v1 import event_pb2

if TYPE_CHECKING:
    IngestCallable = grpc.UnaryUnaryMultiCallable[
        collector_pb2.IngestRequest, collector_pb2.IngestResponse
    ]


def ingest_stub(channel: Any) -> Any:  # the generated code is untyped
    """The generated stub's Ingest method on channel (sync or asyncio)."""
    return collector_pb2_grpc.CollectorServiceStub(channel).Ingest  # type: ignore[no-untyped-call]


class Client:
    """Sends events to the collector from a background thread.

    track() queues and returns at once; a sender thread sends batches of up to
    batch_size events, or what is queued every flush_interval, one call at a time, and
    retries failed calls with backoff, always with the same event ids. close() (or
    leaving the ``with`` block) sends what is queued.
    """

    def __init__(
        self, address: str = "", *, config: ClientConfig | None = None, **options: Any
    ) -> None:
        cfg = config if config is not None else ClientConfig(address=address, **options)
        self._core = Core(cfg)
        self._cfg = cfg
        if cfg.insecure:
            self._channel = grpc.insecure_channel(cfg.address, options=cfg.grpc_options())
        else:
            creds = cfg.credentials or grpc.ssl_channel_credentials()
            self._channel = grpc.secure_channel(cfg.address, creds, options=cfg.grpc_options())
        self._ingest = cast("IngestCallable", ingest_stub(self._channel))
        self._metadata = cfg.metadata()
        self._cond = threading.Condition()
        self._closing = False
        self._flush_target = 0
        self._abort = threading.Event()
        self._inflight: grpc.Future[collector_pb2.IngestResponse] | None = None
        self._thread = threading.Thread(target=self._run, name="footprint-sender", daemon=True)
        self._thread.start()

    def track(self, event: event_pb2.Event) -> bool:
        """Queue event and return at once; never waits for the network or for room.

        Sets event_id (a UUIDv7), occurred_at (now) and site_id (the client's) when
        empty. Returns False when the event was dropped (queue full with DROP_NEWEST,
        or the client is closed); drops are counted in stats(). Takes ownership of
        event: do not modify it afterwards.
        """
        queued = self._core.push(event)
        if len(self._core) >= self._cfg.batch_size:
            with self._cond:
                self._cond.notify()
        return queued

    def stats(self) -> Stats:
        return self._core.stats()

    def flush(self, timeout: float | None = None) -> bool:
        """Send every event queued before the call and wait until each is settled
        (sent, rejected or given up). False when timeout (seconds) passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._core.accepted
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            while self._core.done < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                if not self._thread.is_alive():
                    return self._core.done >= target
                self._cond.wait(remaining if remaining is not None else 1.0)
        return True

    def close(self, timeout: float | None = None) -> int:
        """Stop accepting events, send what is queued, and close the connection.

        Waits at most timeout seconds; then the call in flight is cancelled and what
        is left is given up without network I/O. Returns the number of events that
        were queued or in flight and could not be delivered (a later resend of those
        would be safe: their event ids stay the same). Calling it again returns 0.
        """
        with self._cond:
            if self._closing:
                return 0
            self._closing = True
            self._core.close()
            failed_before = self._core.failed
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abort.set()
            inflight = self._inflight
            if inflight is not None:
                inflight.cancel()
            self._thread.join()
        self._channel.close()
        return self._core.failed - failed_before

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _wait_for_work(self) -> bool:
        """Wait until a batch is full, flush_interval passed, a flush or close was
        asked for. Returns whether the client is closing."""
        deadline = time.monotonic() + self._cfg.flush_interval
        with self._cond:
            while (
                len(self._core) < self._cfg.batch_size
                and not self._closing
                and self._core.done >= self._flush_target
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._closing

    def _run(self) -> None:
        while True:
            closing = self._wait_for_work()
            # Full batches first, then what is left; on close until the queue is empty
            # (track no longer enqueues, so that is every event ever accepted).
            while batch := self._core.take():
                self._send(batch)
                with self._cond:
                    self._cond.notify_all()
                if not closing and len(batch) < self._cfg.batch_size:
                    break
            if closing and len(self._core) == 0:
                return

    def _send(self, batch: list[event_pb2.Event]) -> None:
        """One batch, with retries; the request (and so every event id) is the same
        on every attempt."""
        request = collector_pb2.IngestRequest(events=batch)
        attempt = 0
        while True:
            if self._abort.is_set():
                self._core.fail(batch, "close deadline passed")
                return
            future = self._ingest.future(
                request, timeout=self._cfg.rpc_timeout, metadata=self._metadata
            )
            self._inflight = future
            if self._abort.is_set():
                future.cancel()
            try:
                response = future.result()
            except grpc.FutureCancelledError:
                self._core.fail(batch, "close deadline passed (call cancelled)")
                return
            except grpc.RpcError as err:
                if self._abort.is_set():
                    self._core.fail(batch, f"close deadline passed: {err}")
                    return
                wait = self._core.retry_wait(batch, err, attempt)
                if wait is None:
                    return
                self._abort.wait(wait)
                attempt += 1
                continue
            finally:
                self._inflight = None
            self._core.settle(batch, response)
            return
