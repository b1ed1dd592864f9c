"""Follow the requests topic: clocks start at creation and react to status changes."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestCreated, RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import flows

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name, consumer="requests.sla", description="SLA clocks of help requests"
)


@router.handles(RequestCreated)
async def on_request_created(event: RequestCreated, runtime: ServiceRuntime) -> None:
    """A new request: start both clocks."""
    await flows.start_clocks(runtime=runtime, created=event)


@router.handles(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, runtime: ServiceRuntime) -> None:
    """Pause, resume or stop the clocks."""
    await flows.follow_status(runtime=runtime, changed=event)
