"""Build family timelines from the service's own request events."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import (
    AgencyTaskReassigned,
    AgencyTaskStatusChanged,
    CuratorAttentionRequested,
    Event,
    FeedbackReceived,
    RequestCreated,
    RequestInfoProvided,
    RequestRouted,
    RequestStatusChanged,
)
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import service
from .texts import describe

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name, consumer="requests.timeline", description="Family timelines"
)


async def record_on_timeline(event: Event, runtime: ServiceRuntime) -> None:
    """Put the event on its family's timeline, in Russian."""
    text = describe(event)
    if text is None:
        return
    request_id = getattr(event, "request_id", None)
    entry = {
        "event_id": str(event.event_id),
        "at": event.occurred_at,
        "type": event.type,
        "request_id": str(request_id) if request_id else None,
        "text": text,
    }
    await service.add_entry(db=runtime.db, family_id=event.family_id, entry=entry)


for _event in (
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
    AgencyTaskStatusChanged,
    AgencyTaskReassigned,
    RequestInfoProvided,
    FeedbackReceived,
    CuratorAttentionRequested,
):
    router.add(_event, record_on_timeline)
