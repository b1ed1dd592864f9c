"""Project request events into live figures."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import service

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name, consumer="reporting.requests", description="Request tracking"
)


@router.handles(RequestStatusChanged)
async def on_request_status_changed(event: RequestStatusChanged, runtime: ServiceRuntime) -> None:
    """Count the request under its new status."""
    left = await service.record_status(
        db=runtime.db, request_id=event.request_id, status=event.status.value, version=event.version
    )
    if left is not None:
        await service.move_count(db=runtime.db, left=left, entered=event.status.value)
