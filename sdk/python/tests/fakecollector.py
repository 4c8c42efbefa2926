"""An in-process gRPC collector for the unit tests: records every Ingest call, and
fails, rejects or holds calls on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field

import grpc

from footprint.collector.v1 import collector_pb2, collector_pb2_grpc


@dataclass
class Call:
    request: collector_pb2.IngestRequest
    metadata: dict[str, str]

    @property
    def ids(self) -> list[str]:
        return [e.event_id for e in self.request.events]


@dataclass
class FakeCollector(collector_pb2_grpc.CollectorServiceServicer):
    calls: list[Call] = field(default_factory=list)
    #: Status codes the next calls fail with, one per call, after recording them.
    fail_with: list[grpc.StatusCode] = field(default_factory=list)
    #: Indexes (within a call) of events to reject.
    reject: set[int] = field(default_factory=set)
    #: Cleared to hold calls until it is set again.
    gate: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)
    address: str = ""

    def __post_init__(self) -> None:
        self.gate.set()

    def Ingest(
        self, request: collector_pb2.IngestRequest, context: grpc.ServicerContext
    ) -> collector_pb2.IngestResponse:
        self.gate.wait()
        with self.cond:
            self.calls.append(Call(request, dict(context.invocation_metadata())))  # type: ignore[arg-type]
            self.cond.notify_all()
            code = self.fail_with.pop(0) if self.fail_with else None
        if code is not None:
            context.abort(code, "fake failure")
        results = []
        for i, ev in enumerate(request.events):
            if i in self.reject:
                results.append(
                    collector_pb2.EventResult(
                        index=i,
                        event_id=ev.event_id,
                        outcome=collector_pb2.OUTCOME_REJECTED,
                        reject_reason=collector_pb2.REJECT_REASON_INVALID_FORMAT,
                        field="page.url",
                        message="not a URL",
                    )
                )
            else:
                results.append(
                    collector_pb2.EventResult(
                        index=i, event_id=ev.event_id, outcome=collector_pb2.OUTCOME_ACCEPTED
                    )
                )
        return collector_pb2.IngestResponse(results=results)

    def events(self) -> list[str]:
        """Event ids of every call, in order (retries included)."""
        with self.cond:
            return [i for c in self.calls for i in c.ids]

    def wait_for(self, what: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll for a condition on the calls with a deadline."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not what():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"condition not met within {timeout}s: {self.calls!r}")
                self.cond.wait(remaining)


def serve() -> tuple[FakeCollector, grpc.Server]:
    fake = FakeCollector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    collector_pb2_grpc.add_CollectorServiceServicer_to_server(fake, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.address = f"127.0.0.1:{port}"
    return fake, server
