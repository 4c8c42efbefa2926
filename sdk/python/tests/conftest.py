from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakecollector import FakeCollector, serve


@pytest.fixture
def fake() -> Iterator[FakeCollector]:
    collector, server = serve()
    yield collector
    collector.gate.set()
    server.stop(grace=None)
