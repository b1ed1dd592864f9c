"""Everything a running service holds: settings, store, broker, publisher, outbox."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from faststream import Context
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from .foreground import Foreground
from .idempotency import ProcessedEvents
from .messaging import EventPublisher
from .outbox import Outbox
from .settings import ServiceSettings
from .store import Database, MongoClient, projections_of

RUNTIME_CONTEXT_KEY = "runtime"


@dataclass
class ServiceRuntime:
    """The live resources of one service process."""

    settings: ServiceSettings
    client: MongoClient
    db: Database
    broker: KafkaBroker
    publisher: EventPublisher
    outbox: Outbox
    tracer_provider: TracerProvider
    foreground: Foreground = field(default_factory=Foreground)
    """The HTTP requests in flight, which background work gives way to."""
    projections: Database = field(init=False)
    """What the event consumers keep, beside ``db`` (``store.projections_of``)."""

    def __post_init__(self) -> None:
        self.projections = projections_of(self.db)

    def processed(self, consumer: str) -> ProcessedEvents:
        """Processed-ids record of one consumer of this service."""
        return ProcessedEvents(self.projections, consumer)


async def get_runtime(request: Request) -> ServiceRuntime:
    """The runtime of the app serving this HTTP request.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
    worker thread, a hand-over that costs more than the function.
    """
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
"""FastAPI dependency: the service runtime."""

HandlerRuntime = Annotated[ServiceRuntime, Context(RUNTIME_CONTEXT_KEY)]
"""FastStream dependency: the service runtime, in a subscriber."""
