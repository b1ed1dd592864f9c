"""Consume the agencies' status topics."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Agency, AgencyTaskStatusReported
from patronage_contracts.topics import AGENCY_STATUS_TOPICS

from . import flows

CONSUMER = "requests.agency-status"


def agency_status_router(agency: Agency) -> EventRouter:
    """Subscriber of one agency's status topic; the topic fixes which agency may report."""
    router = EventRouter(
        AGENCY_STATUS_TOPICS[agency].name,
        consumer=CONSUMER,
        description=f"Status reports of the {agency.value} agency",
    )

    async def on_status_reported(report: AgencyTaskStatusReported, runtime: ServiceRuntime) -> None:
        await flows.apply_agency_status(runtime=runtime, report=report, topic_agency=agency)

    router.add(AgencyTaskStatusReported, on_status_reported)
    return router


STATUS_ROUTERS = [agency_status_router(agency) for agency in Agency]
