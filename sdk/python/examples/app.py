"""A small FastAPI app recorded by Footprint: every page view, comment and like goes to
the collector through the ASGI middleware and the asyncio client.

    FOOTPRINT_COLLECTOR_ADDR=127.0.0.1:50051 FOOTPRINT_API_KEY=fp_dev_key \\
    FOOTPRINT_SITE_ID=demo python sdk/python/examples/app.py

Listens on FOOTPRINT_PYAPP_ADDR (default 127.0.0.1:8083). A request with the header
`X-Demo-User: <id>` counts as signed in: the middleware records that user id.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from footprint import AsyncClient, FootprintMiddleware

ARTICLES = {
    "kafka-in-practice": "Kafka in practice",
    "clickhouse-vs-postgres": "ClickHouse vs PostgreSQL",
    "fastapi-tips": "FastAPI tips",
}

client = AsyncClient(
    os.environ.get("FOOTPRINT_COLLECTOR_ADDR", "127.0.0.1:50051"),
    api_key=os.environ.get("FOOTPRINT_API_KEY", "fp_dev_key"),
    insecure=True,  # the local stack's collector is plaintext on 127.0.0.1
)


@contextlib.asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await client.start()
    yield
    # Sends what is still queued; says what it could not deliver.
    undelivered = await client.aclose(timeout=10)
    logging.getLogger("example").info("footprint: %s, undelivered %d", client.stats(), undelivered)


app = FastAPI(lifespan=lifespan)


@app.middleware("http")
async def demo_login(request: Request, call_next):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    """Stands in for the app's real authentication."""
    request.state.user_id = request.headers.get("x-demo-user")
    return await call_next(request)


# Added last, so it is the outermost middleware: it times the whole request and sees
# what the inner ones stored on request.state.
app.add_middleware(
    FootprintMiddleware,
    client=client,
    site_id=os.environ.get("FOOTPRINT_SITE_ID", "demo"),
    user_id=lambda scope: getattr(scope["state"].get("user_id"), "strip", str)() or None,
    respect_dnt=True,
)


@app.get("/", response_class=HTMLResponse)
async def home() -> str:
    links = "".join(f'<li><a href="/articles/{s}">{t}</a></li>' for s, t in ARTICLES.items())
    return f"<h1>Footprint FastAPI example</h1><ul>{links}</ul>"


@app.get("/articles/{slug}", response_class=HTMLResponse)
async def article(slug: str) -> str:
    if slug not in ARTICLES:
        raise HTTPException(404, "no such article")
    return f"<h1>{ARTICLES[slug]}</h1>"


@app.post("/articles/{slug}/comments", status_code=201)
async def comment(slug: str) -> dict[str, str]:
    if slug not in ARTICLES:
        raise HTTPException(404, "no such article")
    return {"article": slug, "status": "created"}


@app.post("/articles/{slug}/likes", status_code=204)
async def like(slug: str) -> None:
    if slug not in ARTICLES:
        raise HTTPException(404, "no such article")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    host, port = os.environ.get("FOOTPRINT_PYAPP_ADDR", "127.0.0.1:8083").rsplit(":", 1)
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app, host=host, port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
