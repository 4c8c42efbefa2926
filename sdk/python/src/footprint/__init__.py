"""Footprint SDK: send user-behaviour events to a Footprint collector.

`Client` (threads) and `AsyncClient` (asyncio) queue events in memory, send them in
batches, retry with the same event ids and never block the caller;
`FootprintMiddleware` records every request of an ASGI app (FastAPI, Starlette) as a
`page_view`. The protobuf messages are in `footprint.event.v1.event_pb2`.
"""

from footprint._config import ClientConfig, DropPolicy
from footprint._core import Stats
from footprint.aio import AsyncClient
from footprint.asgi import EVENT_PAGE_VIEW, FootprintMiddleware, Tracker
from footprint.client import Client
from footprint.errors import (
    ConfigError,
    DeliveryError,
    FootprintError,
    RejectedEventError,
)
from footprint.event.v1.event_pb2 import ClientContext, Event, Page, Utm

__all__ = [
    "EVENT_PAGE_VIEW",
    "AsyncClient",
    "Client",
    "ClientConfig",
    "ClientContext",
    "ConfigError",
    "DeliveryError",
    "DropPolicy",
    "Event",
    "FootprintError",
    "FootprintMiddleware",
    "Page",
    "RejectedEventError",
    "Stats",
    "Tracker",
    "Utm",
]
