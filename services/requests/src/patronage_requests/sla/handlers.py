"""Follow the requests topic in batches: clocks start at creation and react to status changes."""

from patronage_common.consumers import BatchEventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestCreated, RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import flows


async def on_request_events(events: list[flows.ClockEvent], runtime: ServiceRuntime) -> None:
    """New requests: start both clocks; status changes: pause, resume or stop them."""
    await flows.follow_requests(runtime=runtime, events=events)


router = BatchEventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer="requests.sla",
    types=(RequestCreated, RequestStatusChanged),
    handler=on_request_events,
    description="SLA clocks of help requests",
)
