"""Consume request events and decide notifications."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import flows

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name, consumer="notifications.requests", description="Request updates"
)


@router.handles(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, runtime: ServiceRuntime) -> None:
    """Tell the curator (and later the family) of a status change."""
    await flows.notify_status_change(runtime=runtime, event=event)
