"""Keep the request lists current from the service's own request events (applied by the
``projections`` consumer)."""

from typing import get_args

from patronage_common.runtime import ServiceRuntime
from patronage_contracts import (
    AgencyTaskReassigned,
    AgencyTaskStatusChanged,
    RequestCreated,
    RequestInfoProvided,
    RequestRouted,
    RequestStatusChanged,
)

from . import service

ListedEvent = (
    RequestCreated
    | RequestRouted
    | RequestStatusChanged
    | AgencyTaskStatusChanged
    | AgencyTaskReassigned
    | RequestInfoProvided
)
TYPES: tuple[type[ListedEvent], ...] = get_args(ListedEvent)
"""The events that change a request's line."""


async def refresh_listings(events: list[ListedEvent], runtime: ServiceRuntime) -> None:
    """The requests changed: their lines follow their state (each refreshed once) — a new
    request's as its creation events tell it, the others' as stored."""
    await service.refresh_lines(
        db=runtime.db,
        request_ids=[str(e.request_id) for e in events],
        created=service.listings_of_new_requests(events),
    )
