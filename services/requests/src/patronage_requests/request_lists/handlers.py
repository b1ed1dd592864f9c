"""Keep the request lists current from the service's own request events."""

from patronage_common.consumers import EventRouter
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

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer="requests.lists",
    description="Request lists by curator and by agency",
)

ListedEvent = (
    RequestCreated
    | RequestRouted
    | RequestStatusChanged
    | AgencyTaskStatusChanged
    | AgencyTaskReassigned
    | RequestInfoProvided
)


async def refresh_listing(event: ListedEvent, runtime: ServiceRuntime) -> None:
    """The request changed: its lines follow its stored state."""
    await service.refresh_line(db=runtime.db, request_id=event.request_id)


router.add(RequestCreated, refresh_listing)
router.add(RequestRouted, refresh_listing)
router.add(RequestStatusChanged, refresh_listing)
router.add(AgencyTaskStatusChanged, refresh_listing)
router.add(AgencyTaskReassigned, refresh_listing)
router.add(RequestInfoProvided, refresh_listing)
