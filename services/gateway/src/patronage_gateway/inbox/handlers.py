"""Consume the request topics of the agencies the inbox serves."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Agency, HandleHelpRequest
from patronage_contracts.topics import AGENCY_REQUEST_TOPICS

from . import flows

CONSUMER = "gateway.agency-inbox"


def agency_inbox_router(agency: Agency) -> EventRouter:
    """Subscriber of one agency's request topic, filling that agency's inbox."""
    router = EventRouter(
        AGENCY_REQUEST_TOPICS[agency].name,
        consumer=f"{CONSUMER}.{agency.value}",
        description=f"Help-request tasks of the {agency.value} agency for its inbox",
    )

    async def on_task(command: HandleHelpRequest, runtime: ServiceRuntime) -> None:
        await flows.receive_task(runtime=runtime, command=command)

    router.add(HandleHelpRequest, on_task)
    return router
