from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakecollector import FakeCollector, serve
from report import REPORT


@pytest.fixture
def fake() -> Iterator[FakeCollector]:
    collector, server = serve()
    yield collector
    collector.gate.set()
    server.stop(grace=None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in REPORT:
        terminalreporter.write_line(line)
