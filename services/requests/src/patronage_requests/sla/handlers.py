"""SLA clocks from the service's own request events (applied by the ``projections``
consumer): clocks start at creation and react to status changes."""

from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestCreated, RequestStatusChanged

from . import flows


async def on_request_events(events: list[flows.ClockEvent], runtime: ServiceRuntime) -> None:
    """New requests: start both clocks; status changes: pause, resume or stop them."""
    await flows.follow_requests(runtime=runtime, events=events)


TYPES = (RequestCreated, RequestStatusChanged)
"""The events that start, pause, resume or stop a request's clocks."""
