"""Build family timelines from the service's own request events (applied by the
``projections`` consumer)."""

from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
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

from . import service
from .texts import describe


def timeline_entry(event: Event) -> Document | None:
    """The event's entry on its family's timeline, in Russian (None if it has none)."""
    text = describe(event)
    if text is None:
        return None
    request_id = getattr(event, "request_id", None)
    return {
        "event_id": str(event.event_id),
        "at": event.occurred_at,
        "type": event.type,
        "request_id": str(request_id) if request_id else None,
        "text": text,
    }


async def record_on_timelines(events: list[Event], runtime: ServiceRuntime) -> None:
    """Put the events on their families' timelines."""
    entries = [(e.family_id, entry) for e in events if (entry := timeline_entry(e)) is not None]
    await service.add_entries(db=runtime.db, entries=entries)


TYPES = (
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
    AgencyTaskStatusChanged,
    AgencyTaskReassigned,
    RequestInfoProvided,
    FeedbackReceived,
    CuratorAttentionRequested,
)
"""The events that have a timeline entry."""
