"""What the thread and asyncio clients share: the bounded queue, the counters, event
preparation, and the decisions after an Ingest call (settle, retry, give up)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

import grpc
import grpc.aio

from footprint._config import ClientConfig, DropPolicy
from footprint.collector.v1 import collector_pb2
from footprint.errors import DeliveryError, RejectedEventError
from footprint.event.v1 import event_pb2

INGEST_METHOD = "/footprint.collector.v1.CollectorService/Ingest"

# Codes after which the unchanged call may succeed: the collector (or Kafka behind it)
# is away or overloaded, or the call timed out. Anything else would fail again.
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)


@dataclass(frozen=True)
class Stats:
    """The client's counters since it was created. After close,
    tracked == sent + rejected + dropped + failed."""

    #: track() calls.
    tracked: int
    #: Events the collector accepted.
    sent: int
    #: Events the collector rejected as invalid.
    rejected: int
    #: Events discarded because the queue was full, or tracked after close.
    dropped: int
    #: Events given up: non-retryable error, retries exhausted, close's deadline.
    failed: int
    #: Ingest calls that were retried.
    retries: int
    #: Events waiting in the queue now.
    queued: int


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time
    ordered, so the stores' indexes on event_id stay append-mostly."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    )
    h = f"{value:032x}"  # uuid.UUID's str() costs more than the rest of this function
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Core:
    """Queue and counters. Every method is thread-safe and none waits for the network."""

    def __init__(self, cfg: ClientConfig) -> None:
        cfg.validate()
        self.cfg = cfg
        self.log = cfg.logger
        self._lock = threading.Lock()
        self._queue: deque[event_pb2.Event] = deque()
        self.closed = False
        #: Events that entered the queue, and events whose fate is settled (sent,
        #: rejected, failed, or dropped from the queue): flush waits for done.
        self.accepted = 0
        self.done = 0
        self._tracked = self._sent = self._rejected = self._dropped = 0
        self._failed = self._retries = 0

    def push(self, ev: event_pb2.Event) -> bool:
        """Fill the event's id, time and site, and queue it. False: dropped."""
        if not ev.event_id:
            # A client-side id makes retries safe: the collector would assign a new
            # id to each attempt otherwise.
            ev.event_id = uuid7()
        if not ev.HasField("occurred_at"):
            # Not Timestamp.GetCurrentTime: it goes through datetime, several times slower.
            ns = time.time_ns()
            ev.occurred_at.seconds, ev.occurred_at.nanos = divmod(ns, 1_000_000_000)
        if not ev.site_id:
            ev.site_id = self.cfg.site_id
        with self._lock:
            self._tracked += 1
            if self.closed:
                self._drop_locked(ev, "client closed")
                return False
            if len(self._queue) >= self.cfg.queue_size:
                if self.cfg.drop_policy is DropPolicy.DROP_NEWEST:
                    self._drop_locked(ev, "queue full")
                    return False
                self._drop_locked(self._queue.popleft(), "queue full")
                self.done += 1
            self._queue.append(ev)
            self.accepted += 1
            return True

    def _drop_locked(self, ev: event_pb2.Event, reason: str) -> None:
        self._dropped += 1
        n = self._dropped
        # The first drop and then every thousandth: a long outage must not flood the log.
        if n == 1 or n % 1000 == 0:
            self.log.warning(
                "footprint: event dropped (%s): event_id=%s dropped_total=%d policy=%s",
                reason, ev.event_id, n, self.cfg.drop_policy.value,
            )  # fmt: skip

    def take(self) -> list[event_pb2.Event]:
        """Up to batch_size events from the head of the queue."""
        with self._lock:
            n = min(len(self._queue), self.cfg.batch_size)
            return [self._queue.popleft() for _ in range(n)]

    def close(self) -> None:
        with self._lock:
            self.closed = True

    def __len__(self) -> int:
        return len(self._queue)

    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                tracked=self._tracked, sent=self._sent, rejected=self._rejected,
                dropped=self._dropped, failed=self._failed, retries=self._retries,
                queued=len(self._queue),
            )  # fmt: skip

    @property
    def failed(self) -> int:
        return self._failed

    def settle(self, batch: list[event_pb2.Event], resp: collector_pb2.IngestResponse) -> None:
        """Count an answered call. An event without a result counts as sent: an OK
        answer means the collector holds every event it did not reject."""
        rejected = {r.index: r for r in resp.results if r.outcome == collector_pb2.OUTCOME_REJECTED}
        errors = [RejectedEventError(batch[i], r) for i, r in rejected.items() if i < len(batch)]
        with self._lock:
            self._rejected += len(errors)
            self._sent += len(batch) - len(errors)
            self.done += len(batch)
        for err in errors:
            self.log.warning("footprint: %s", err)
            self._report(err)

    def fail(self, batch: list[event_pb2.Event], reason: str) -> None:
        """Give up a batch: count, log and report it."""
        with self._lock:
            self._failed += len(batch)
            self.done += len(batch)
        self.log.error("footprint: %d events not delivered: %s", len(batch), reason)
        self._report(DeliveryError(batch, reason))

    def retry_wait(
        self, batch: list[event_pb2.Event], err: grpc.RpcError, attempt: int
    ) -> float | None:
        """After a failed call: the wait before retrying it, or None when the batch
        was given up (not retryable, or retries exhausted)."""
        code, details = grpc.StatusCode.UNKNOWN, str(err)
        # The sync API raises grpc.Call errors, the asyncio API AioRpcError.
        if isinstance(err, grpc.Call | grpc.aio.AioRpcError):
            code, details = err.code(), err.details() or ""
        if code not in RETRYABLE:
            self.fail(batch, f"ingest: {code.name}: {details}")
            return None
        if 0 <= self.cfg.max_retries <= attempt:
            self.fail(batch, f"ingest failed after {attempt} retries: {code.name}: {details}")
            return None
        with self._lock:
            self._retries += 1
        wait = self.backoff(attempt)
        self.log.debug(
            "footprint: ingest failed (%s), retry %d of %d events in %.3fs",
            code.name, attempt + 1, len(batch), wait,
        )  # fmt: skip
        return wait

    def backoff(self, attempt: int) -> float:
        """Exponential and capped, with "equal jitter" (half fixed, half random), so
        that retries of many clients spread out but never come back instantly."""
        d = min(self.cfg.backoff_max, self.cfg.backoff_initial * 2.0 ** min(attempt, 30))
        return d / 2 + random.uniform(0, d / 2)  # noqa: S311 - jitter, not a secret

    def _report(self, err: Exception) -> None:
        if self.cfg.on_error is None:
            return
        try:
            self.cfg.on_error(err)
        except Exception:
            self.log.exception("footprint: on_error handler raised")
