"""The ASGI middleware in a FastAPI app, with a recording tracker."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from footprint import Event, FootprintMiddleware


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def track(self, event: Event) -> bool:
        self.events.append(event)
        return True


def make_app(rec: Recorder, **options: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/pricing")
    def pricing(request: Request) -> PlainTextResponse:
        request.state.user_id = "u-42"
        return PlainTextResponse("ok")

    @app.post("/comments", status_code=201)
    def comment() -> dict[str, str]:
        return {"id": "c1"}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/static/app.css")
    @app.get("/logo.PNG")
    @app.get("/internal")
    def asset() -> str:
        return "x"

    app.add_middleware(FootprintMiddleware, client=rec, site_id="s1", **options)
    return app


def test_records_request_fields() -> None:
    rec = Recorder()

    tc = TestClient(make_app(rec, user_id=lambda scope: scope["state"].get("user_id")))
    r = tc.get(
        "/pricing?utm_source=news",
        headers={
            "referer": "https://www.google.com/",
            "user-agent": "Mozilla/5.0 test",
            "accept-language": "de-DE,de;q=0.9,en;q=0.8",
        },
    )
    assert r.status_code == 200
    (ev,) = rec.events
    assert (ev.site_id, ev.name, ev.http_method, ev.http_status) == ("s1", "page_view", "GET", 200)
    assert ev.page.path == "/pricing"
    assert ev.page.url == "http://testserver/pricing?utm_source=news"
    assert ev.page.referrer == "https://www.google.com/"
    assert ev.client.user_agent == "Mozilla/5.0 test"
    assert ev.client.locale == "de-DE"
    assert ev.client.ip == ""  # TestClient's peer "testclient" is no IP address
    assert ev.user_id == "u-42"
    assert ev.duration_us > 0


def test_status_of_created_missing_and_failing_requests() -> None:
    rec = Recorder()
    tc = TestClient(make_app(rec), raise_server_exceptions=False)
    assert tc.post("/comments").status_code == 201
    assert tc.get("/nope").status_code == 404
    assert tc.get("/boom").status_code == 500
    got = [(e.http_method, e.page.path, e.http_status) for e in rec.events]
    assert got == [("POST", "/comments", 201), ("GET", "/nope", 404), ("GET", "/boom", 500)]


def test_default_rules_skip_health_and_static_files() -> None:
    rec = Recorder()
    tc = TestClient(make_app(rec))
    for path in ("/healthz", "/static/app.css", "/logo.PNG"):
        assert tc.get(path).status_code == 200
    assert rec.events == []


def test_custom_skip_rules() -> None:
    rec = Recorder()
    tc = TestClient(
        make_app(
            rec,
            skip_paths=["/pricing"],
            skip_extensions=[],
            skip=lambda s: s["path"] == "/internal",
        )
    )
    tc.get("/pricing")
    tc.get("/internal")
    tc.get("/logo.PNG")  # extensions no longer skipped
    assert [e.page.path for e in rec.events] == ["/logo.PNG"]


@pytest.mark.parametrize(("respect", "recorded"), [(True, 0), (False, 2)])
def test_do_not_track(respect: bool, recorded: int) -> None:
    rec = Recorder()
    tc = TestClient(make_app(rec, respect_dnt=respect))
    tc.get("/pricing", headers={"dnt": "1"})
    tc.get("/pricing", headers={"sec-gpc": "1"})
    assert len(rec.events) == recorded


def test_forwarded_headers_only_from_trusted_proxies() -> None:
    rec = Recorder()
    app = make_app(rec, trusted_proxies=["127.0.0.0/8"])
    fwd = {"x-forwarded-for": "203.0.113.9, 10.1.1.1, 127.0.0.2", "x-forwarded-proto": "https"}
    TestClient(app, client=("127.0.0.1", 5000)).get("/pricing", headers=fwd)
    TestClient(app, client=("198.51.100.7", 5000)).get("/pricing", headers=fwd)
    trusted, untrusted = rec.events
    # 10.1.1.1 is not a trusted proxy: it is the client as far as the proxies know.
    assert (trusted.client.ip, trusted.page.url) == ("10.1.1.1", "https://testserver/pricing")
    assert (untrusted.client.ip, untrusted.page.url) == (
        "198.51.100.7",
        "http://testserver/pricing",
    )


def test_tracker_failure_never_reaches_the_visitor() -> None:
    class Full:
        def track(self, event: Event) -> bool:
            return False  # dropped: queue full

    app = make_app(Recorder())
    app.user_middleware.clear()
    app.add_middleware(FootprintMiddleware, client=Full())
    assert TestClient(app).get("/pricing").text == "ok"
