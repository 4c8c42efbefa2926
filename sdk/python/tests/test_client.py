"""The thread-based client against the in-process fake collector."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from fakecollector import FakeCollector

from footprint import (
    Client,
    ClientConfig,
    ConfigError,
    DeliveryError,
    DropPolicy,
    Event,
    Page,
    RejectedEventError,
)
from footprint._core import uuid7


def page_view(path: str = "/") -> Event:
    return Event(name="page_view", http_method="GET", page=Page(url="https://x.test" + path))


def client(fake: FakeCollector, **options: object) -> Client:
    opts: dict[str, object] = {
        "insecure": True,
        "api_key": "k1",
        "site_id": "site1",
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "rpc_timeout": 5.0,
    }
    opts.update(options)
    return Client(fake.address, **opts)  # type: ignore[arg-type]


def test_batches_by_size(fake: FakeCollector) -> None:
    c = client(fake, batch_size=10, flush_interval=60)
    for i in range(25):
        assert c.track(page_view(f"/{i}"))
    fake.wait_for(lambda: len(fake.calls) >= 2)
    assert [len(call.ids) for call in fake.calls] == [10, 10]
    assert c.close() == 0
    assert [len(call.ids) for call in fake.calls] == [10, 10, 5]
    ids = fake.events()
    assert len(set(ids)) == 25
    s = c.stats()
    assert (s.tracked, s.sent, s.dropped, s.failed, s.queued) == (25, 25, 0, 0, 0)


def test_batches_by_time(fake: FakeCollector) -> None:
    c = client(fake, batch_size=100, flush_interval=0.1)
    for _ in range(3):
        c.track(page_view())
    # Neither flush nor close: the interval alone sends the incomplete batch.
    fake.wait_for(lambda: len(fake.events()) == 3, timeout=5)
    assert len(fake.calls) == 1
    c.close()


def test_fills_id_time_site_and_sends_api_key(fake: FakeCollector) -> None:
    c = client(fake)
    ev = page_view()
    ev.site_id = "other"
    c.track(page_view())
    c.track(ev)
    assert c.flush(timeout=10)
    first, second = fake.calls[0].request.events
    assert uuid.UUID(first.event_id).version == 7
    assert first.occurred_at.seconds > 0
    assert (first.site_id, second.site_id) == ("site1", "other")
    assert fake.calls[0].metadata["authorization"] == "Bearer k1"
    c.close()


def test_retry_keeps_event_ids_and_times(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED]
    c = client(fake)
    for i in range(5):
        c.track(page_view(f"/{i}"))
    assert c.flush(timeout=10)
    assert len(fake.calls) == 3
    first = fake.calls[0].request
    for call in fake.calls[1:]:
        assert call.request == first  # same ids, same occurred_at, same everything
    s = c.stats()
    assert (s.sent, s.retries, s.failed) == (5, 2, 0)
    c.close()


def test_full_queue_drops_and_counts_without_blocking(fake: FakeCollector) -> None:
    fake.gate.clear()  # the collector holds every call: the sender is stuck
    c = client(fake, batch_size=10, queue_size=10, flush_interval=0.01)
    c.track(page_view())
    fake.wait_for(lambda: True)  # nothing recorded yet: the call is held at the gate
    deadline = time.monotonic() + 5
    while c.stats().queued != 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # polling: the sender takes the first event into its held call
    start = time.perf_counter()
    results = [c.track(page_view()) for _ in range(100)]
    elapsed = time.perf_counter() - start
    assert results.count(True) == 10
    assert results.count(False) == 90
    assert elapsed < 0.5, f"track blocked: {elapsed:.3f}s for 100 calls"
    fake.gate.set()
    assert c.close() == 0
    s = c.stats()
    assert (s.tracked, s.sent, s.dropped) == (101, 11, 90)
    assert s.tracked == s.sent + s.rejected + s.dropped + s.failed


def test_drop_oldest_keeps_the_newest(fake: FakeCollector) -> None:
    fake.gate.clear()
    c = client(
        fake, batch_size=2, queue_size=2, flush_interval=60, drop_policy=DropPolicy.DROP_OLDEST
    )
    paths = [f"/{i}" for i in range(6)]
    for p in paths:
        assert c.track(page_view(p))
    fake.gate.set()
    c.close()
    sent = [
        e.page.url.removeprefix("https://x.test")
        for call in fake.calls
        for e in call.request.events
    ]
    # The first full batch may already be in flight; the queue keeps the two newest.
    assert sent[-2:] == ["/4", "/5"]
    s = c.stats()
    assert s.tracked == s.sent + s.dropped == 6
    assert s.dropped >= 2


def test_close_drains_and_refuses_new_events(fake: FakeCollector) -> None:
    c = client(fake, batch_size=100, flush_interval=60)
    for _ in range(7):
        c.track(page_view())
    assert c.close() == 0
    assert len(fake.events()) == 7
    assert not c.track(page_view())
    assert c.close() == 0
    s = c.stats()
    assert (s.tracked, s.sent, s.dropped) == (8, 7, 1)


def test_close_deadline_gives_up_and_reports(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAVAILABLE] * 10_000
    errors: list[Exception] = []
    c = client(fake, max_retries=-1, on_error=errors.append)
    for _ in range(3):
        c.track(page_view())
    start = time.monotonic()
    assert c.close(timeout=0.3) == 3
    assert time.monotonic() - start < 3
    s = c.stats()
    assert (s.failed, s.sent) == (3, 0)
    assert len(errors) == 1
    assert isinstance(errors[0], DeliveryError)
    assert len(errors[0].events) == 3


def test_flush_times_out_while_collector_holds(fake: FakeCollector) -> None:
    fake.gate.clear()
    c = client(fake)
    c.track(page_view())
    assert not c.flush(timeout=0.2)
    fake.gate.set()
    assert c.flush(timeout=10)
    c.close()


def test_non_retryable_error_fails_batch_once(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAUTHENTICATED]
    errors: list[Exception] = []
    c = client(fake, on_error=errors.append)
    c.track(page_view())
    c.track(page_view())
    assert c.flush(timeout=10)
    assert len(fake.calls) == 1
    assert c.stats().failed == 2
    assert isinstance(errors[0], DeliveryError)
    assert "UNAUTHENTICATED" in errors[0].reason
    c.close()


def test_retries_exhausted(fake: FakeCollector) -> None:
    fake.fail_with = [grpc.StatusCode.UNAVAILABLE] * 3
    c = client(fake, max_retries=2)
    c.track(page_view())
    assert c.flush(timeout=10)
    s = c.stats()
    assert (len(fake.calls), s.retries, s.failed) == (3, 2, 1)
    c.close()


def test_rejected_events_are_counted_and_reported(fake: FakeCollector) -> None:
    fake.reject = {1}
    errors: list[Exception] = []
    c = client(fake, on_error=errors.append)
    for _ in range(3):
        c.track(page_view())
    assert c.flush(timeout=10)
    s = c.stats()
    assert (s.sent, s.rejected, s.retries) == (2, 1, 0)
    assert isinstance(errors[0], RejectedEventError)
    assert errors[0].result.field == "page.url"
    c.close()


def test_invalid_config_names_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        ClientConfig(
            address="", batch_size=0, rpc_timeout=0, backoff_initial=2, backoff_max=1
        ).validate()
    for what in ("address", "batch_size", "rpc_timeout", "backoff"):
        assert what in str(err.value)
    with pytest.raises(ConfigError, match="queue_size"):
        Client("127.0.0.1:1", insecure=True, batch_size=10, queue_size=5)


def test_uuid7_is_version_7_and_time_ordered() -> None:
    first = uuid7()
    time.sleep(0.002)  # the next millisecond, not synchronisation
    second = uuid7()
    assert uuid.UUID(first).version == 7
    assert uuid.UUID(first).variant == uuid.RFC_4122
    assert first[:13] < second[:13]
