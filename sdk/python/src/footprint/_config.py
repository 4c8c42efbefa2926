"""Client options: one place for the defaults and their checks."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc

from footprint.errors import ConfigError

# Defaults, the same as the Go SDK's.
DEFAULT_BATCH_SIZE = 200
DEFAULT_FLUSH_INTERVAL = 1.0
DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_MAX_RETRIES = 10
DEFAULT_BACKOFF_INITIAL = 0.1
DEFAULT_BACKOFF_MAX = 5.0
DEFAULT_RPC_TIMEOUT = 10.0


class DropPolicy(enum.Enum):
    """What `track` does when the queue is full. It never waits for room."""

    #: Discard the event being tracked; the queued ones are closest to being sent.
    DROP_NEWEST = "drop_newest"
    #: Discard the oldest queued event, for apps that care more about recent activity.
    DROP_OLDEST = "drop_oldest"


ErrorHandler = Callable[[Exception], None]


@dataclass(frozen=True)
class ClientConfig:
    """Options of `Client` and `AsyncClient`. Durations are in seconds."""

    #: host:port of the collector's gRPC endpoint.
    address: str
    #: API key sent as `authorization: Bearer <key>`; it must own the events' site.
    api_key: str = ""
    #: site_id given to tracked events that have none.
    site_id: str = ""
    #: Plaintext gRPC (a collector on localhost or behind a TLS proxy on the same host).
    insecure: bool = False
    #: TLS credentials; default: TLS with the system's root CAs (unless insecure).
    credentials: grpc.ChannelCredentials | None = None
    #: Events per Ingest call at most (the collector's batch limit is 1000 by default).
    batch_size: int = DEFAULT_BATCH_SIZE
    #: How long an incomplete batch waits before it is sent anyway.
    flush_interval: float = DEFAULT_FLUSH_INTERVAL
    #: Events waiting in memory at most; bounds memory while the collector is away.
    queue_size: int = DEFAULT_QUEUE_SIZE
    drop_policy: DropPolicy = DropPolicy.DROP_NEWEST
    #: Retries of a batch after retryable failures before it is given up; -1: until close.
    max_retries: int = DEFAULT_MAX_RETRIES
    #: First and longest wait between retries; doubles per retry, with jitter.
    backoff_initial: float = DEFAULT_BACKOFF_INITIAL
    backoff_max: float = DEFAULT_BACKOFF_MAX
    #: Deadline of each Ingest call; a call that exceeds it is retried.
    rpc_timeout: float = DEFAULT_RPC_TIMEOUT
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("footprint"))
    #: Receives a RejectedEventError per rejected event and a DeliveryError per batch
    #: given up. Called from the sender (thread or task); must not block for long.
    on_error: ErrorHandler | None = None
    #: Extra gRPC channel options, applied after the SDK's own.
    channel_options: Sequence[tuple[str, int | str]] = ()

    def validate(self) -> None:
        """Raise ConfigError naming every invalid option."""
        problems = []
        if not self.address:
            problems.append("address is empty")
        if self.batch_size <= 0:
            problems.append("batch_size must be positive")
        if self.flush_interval <= 0:
            problems.append("flush_interval must be positive")
        if self.queue_size < self.batch_size:
            problems.append("queue_size must be at least batch_size")
        if not 0 < self.backoff_initial <= self.backoff_max:
            problems.append("backoff durations must be positive and initial <= max")
        if self.rpc_timeout <= 0:
            problems.append("rpc_timeout must be positive")
        if self.max_retries < -1:
            problems.append("max_retries must be -1 (unlimited) or more")
        if self.insecure and self.credentials is not None:
            problems.append("credentials and insecure are exclusive")
        if problems:
            raise ConfigError("; ".join(problems))

    def grpc_options(self) -> list[tuple[str, int | str]]:
        """Channel options. gRPC's default reconnect backoff grows to 120 s: after a
        collector restart the client would sit idle for minutes with a full queue."""
        return [
            ("grpc.initial_reconnect_backoff_ms", int(self.backoff_initial * 1000)),
            ("grpc.min_reconnect_backoff_ms", int(self.backoff_initial * 1000)),
            ("grpc.max_reconnect_backoff_ms", int(self.backoff_max * 1000)),
            *self.channel_options,
        ]

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"),) if self.api_key else ()
