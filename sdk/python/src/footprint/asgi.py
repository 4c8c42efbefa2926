"""ASGI middleware that records every HTTP request as a `page_view` event.

Plain ASGI (no framework import), so it works with FastAPI, Starlette and any ASGI
server::

    app.add_middleware(FootprintMiddleware, client=client, site_id="demo")
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, Protocol

from footprint.event.v1 import event_pb2

EVENT_PAGE_VIEW = "page_view"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_SKIP_PATHS = ("/healthz", "/readyz", "/livez", "/health", "/metrics", "/favicon.ico")
DEFAULT_SKIP_PREFIXES = ("/static/", "/assets/")
DEFAULT_SKIP_EXTENSIONS = (
    ".css", ".js", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
    ".avif", ".woff", ".woff2", ".ttf", ".eot",
)  # fmt: skip


class Tracker(Protocol):
    """What the middleware needs of a client: `Client` and `AsyncClient` both fit."""

    def track(self, event: event_pb2.Event) -> bool: ...


class FootprintMiddleware:
    """Records each HTTP request after the response started, with path, URL, method,
    status, duration, referrer, user agent, accept-language (as locale) and client IP.

    Tracking never blocks or fails the request: the client queues the event (or drops
    and counts it). Requests are skipped when their path is in skip_paths, starts with
    one of skip_prefixes, ends with one of skip_extensions (case-insensitive), or when
    skip(scope) returns True; with respect_dnt, also when the visitor sends `DNT: 1`
    or `Sec-GPC: 1`.

    user_id and visitor_id, when given, are called with the ASGI scope after the app
    answered, so they can read what the app stored on it (``scope["state"]``, which is
    Starlette's ``request.state``, or ``scope["user"]``). Returning None or "" leaves
    the field empty (the collector then derives a cookieless visitor id).

    X-Forwarded-For and X-Forwarded-Proto are believed only from trusted_proxies (IP
    addresses or CIDR prefixes): any client can send those headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: Tracker,
        site_id: str = "",
        skip_paths: Iterable[str] = DEFAULT_SKIP_PATHS,
        skip_prefixes: Iterable[str] = DEFAULT_SKIP_PREFIXES,
        skip_extensions: Iterable[str] = DEFAULT_SKIP_EXTENSIONS,
        skip: Callable[[Scope], bool] | None = None,
        user_id: Callable[[Scope], str | None] | None = None,
        visitor_id: Callable[[Scope], str | None] | None = None,
        respect_dnt: bool = False,
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.client = client
        self.site_id = site_id
        self.skip_paths = frozenset(skip_paths)
        self.skip_prefixes = tuple(skip_prefixes)
        self.skip_extensions = tuple(e.lower() for e in skip_extensions)
        self.skip = skip
        self.user_id = user_id
        self.visitor_id = visitor_id
        self.respect_dnt = respect_dnt
        self.trusted_proxies = tuple(ipaddress.ip_network(p.strip()) for p in trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._skipped(scope):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException:
            # The server answers an exception that escaped before the response with 500;
            # that request is worth recording too. The exception continues.
            self._record(scope, status or 500, start)
            raise
        self._record(scope, status or 500, start)

    def _skipped(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path in self.skip_paths or path.startswith(self.skip_prefixes):
            return True
        if path.lower().endswith(self.skip_extensions):
            return True
        if self.respect_dnt:
            headers = _headers(scope)
            if headers.get("dnt") == "1" or headers.get("sec-gpc") == "1":
                return True
        return self.skip is not None and self.skip(scope)

    def _record(self, scope: Scope, status: int, start: float) -> None:
        duration_us = int((time.perf_counter() - start) * 1_000_000)
        headers = _headers(scope)
        peer = _parse_ip(scope["client"][0]) if scope.get("client") else None
        trusted = (
            peer is not None
            and bool(self.trusted_proxies)
            and any(peer in net for net in self.trusted_proxies)
        )
        ip = peer
        if trusted:
            ip = self._client_from_forwarded(headers.get("x-forwarded-for", "")) or peer
        event = event_pb2.Event(
            site_id=self.site_id,
            name=EVENT_PAGE_VIEW,
            http_method=scope["method"],
            http_status=status,
            duration_us=duration_us,
        )
        # Filled in place: building Page and ClientContext first and passing them
        # would copy them into the event.
        page = event.page
        page.url = _url(scope, headers, trusted)
        page.path = scope["path"]
        page.referrer = headers.get("referer", "")
        client = event.client
        client.user_agent = headers.get("user-agent", "")
        client.locale = _locale(headers.get("accept-language", ""))
        client.ip = str(ip) if ip is not None else ""
        if self.user_id is not None:
            event.user_id = self.user_id(scope) or ""
        if self.visitor_id is not None:
            event.visitor_id = self.visitor_id(scope) or ""
        # False only means the event was dropped, which the client counted; the
        # request must not fail because of analytics.
        self.client.track(event)

    def _client_from_forwarded(self, header: str) -> IPAddress | None:
        """Each proxy appends the address it received the request from, so the list
        is read from the right: the first address that is not a trusted proxy is the
        client. Entries left of it were written by the client and prove nothing."""
        leftmost = None
        for part in reversed(header.split(",")):
            addr = _parse_ip(part.strip())
            if addr is None:
                return leftmost
            if not any(addr in net for net in self.trusted_proxies):
                return addr
            leftmost = addr
        return leftmost


# The request headers the middleware reads; the others are not decoded.
_HEADERS = frozenset(
    {b"host", b"referer", b"user-agent", b"accept-language", b"x-forwarded-for",
     b"x-forwarded-proto", b"dnt", b"sec-gpc"}
)  # fmt: skip


def _headers(scope: Scope) -> Mapping[str, str]:
    """The headers the middleware reads, the last value of each. ASGI servers give
    the names in lower case, names and values as latin-1 bytes."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _HEADERS}


@functools.lru_cache(maxsize=4096)
def _parse_ip(value: str) -> IPAddress | None:
    """Cached: the same clients and proxies come back, and parsing is the slow part."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _url(scope: Scope, headers: Mapping[str, str], trusted: bool) -> str:
    """The absolute URL the visitor asked for. The scheme comes from the connection,
    or from X-Forwarded-Proto behind a trusted proxy."""
    scheme = scope.get("scheme", "http")
    if trusted and headers.get("x-forwarded-proto") in ("http", "https"):
        scheme = headers["x-forwarded-proto"]
    host = headers.get("host")
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}" if port else str(server_host)
    path = scope.get("raw_path") or scope["path"].encode()
    url = f"{scheme}://{host or ''}{path.decode('latin-1')}"
    if scope.get("query_string"):
        url += "?" + scope["query_string"].decode("latin-1")
    return url


def _locale(accept_language: str) -> str:
    """The visitor's first preferred language tag (`de-DE,de;q=0.9` -> `de-DE`)."""
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return "" if first == "*" else first
