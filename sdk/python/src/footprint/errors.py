"""Errors of the Footprint SDK."""

from __future__ import annotations

from collections.abc import Sequence

from footprint.collector.v1 import collector_pb2
from footprint.event.v1 import event_pb2


class FootprintError(Exception):
    """Base class of the SDK's errors."""


class ConfigError(FootprintError, ValueError):
    """Invalid client options."""


class RejectedEventError(FootprintError):
    """The collector rejected an event as invalid; it is not retried (it would be
    rejected again)."""

    def __init__(self, event: event_pb2.Event, result: collector_pb2.EventResult) -> None:
        reason = collector_pb2.RejectReason.Name(result.reject_reason)
        super().__init__(
            f"event {event.event_id} rejected: {result.field}: {result.message} ({reason})"
        )
        self.event = event
        self.result = result


class DeliveryError(FootprintError):
    """A batch could not be delivered: a non-retryable answer (for example
    UNAUTHENTICATED), retries exhausted, or close()'s deadline passed."""

    def __init__(self, events: Sequence[event_pb2.Event], reason: str) -> None:
        super().__init__(f"{len(events)} events not delivered: {reason}")
        self.events = list(events)
        self.reason = reason
