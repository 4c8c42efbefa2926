"""The FastAPI example app (examples/app.py) against the fake collector: what the
README and `make run` show works."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
from fakecollector import FakeCollector
from fastapi.testclient import TestClient

APP = Path(__file__).resolve().parents[1] / "examples" / "app.py"


def test_example_app_records_pages_comments_and_likes(
    fake: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTPRINT_COLLECTOR_ADDR", fake.address)
    monkeypatch.setenv("FOOTPRINT_SITE_ID", "example")
    spec = importlib.util.spec_from_file_location("footprint_example_app", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    with TestClient(module.app) as tc:
        assert tc.get("/").status_code == 200
        assert tc.get("/articles/fastapi-tips", headers={"x-demo-user": "u-7"}).status_code == 200
        assert tc.post("/articles/fastapi-tips/comments").status_code == 201
        assert tc.post("/articles/nope/likes").status_code == 404
        assert tc.get("/articles/fastapi-tips", headers={"dnt": "1"}).status_code == 200
        assert tc.get("/healthz").status_code == 200
    # Leaving the block ran the lifespan's shutdown: the client sent everything.
    events = [e for call in fake.calls for e in call.request.events]
    got = Counter((e.site_id, e.http_method, e.page.path, e.http_status, e.user_id) for e in events)
    assert got == Counter(
        {
            ("example", "GET", "/", 200, ""): 1,
            ("example", "GET", "/articles/fastapi-tips", 200, "u-7"): 1,
            ("example", "POST", "/articles/fastapi-tips/comments", 201, ""): 1,
            ("example", "POST", "/articles/nope/likes", 404, ""): 1,
        }
    )
    assert module.client.stats().sent == 4
