"""Keep the request lists current from the service's own request events."""

from patronage_common.consumers import BatchEventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import (
    AgencyTaskReassigned,
    AgencyTaskStatusChanged,
    RequestCreated,
    RequestInfoProvided,
    RequestRouted,
    RequestStatusChanged,
)
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import service

ListedEvent = (
    RequestCreated
    | RequestRouted
    | RequestStatusChanged
    | AgencyTaskStatusChanged
    | AgencyTaskReassigned
    | RequestInfoProvided
)


async def refresh_listings(events: list[ListedEvent], runtime: ServiceRuntime) -> None:
    """The requests changed: their lines follow their state (each refreshed once) — a new
    request's as its creation events tell it, the others' as stored."""
    await service.refresh_lines(
        db=runtime.db,
        request_ids=[str(e.request_id) for e in events],
        created=service.listings_of_new_requests(events),
    )


router = BatchEventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer="requests.lists",
    types=(
        RequestCreated,
        RequestRouted,
        RequestStatusChanged,
        AgencyTaskStatusChanged,
        AgencyTaskReassigned,
        RequestInfoProvided,
    ),
    handler=refresh_listings,
    description="Request lists by curator and by agency",
)
