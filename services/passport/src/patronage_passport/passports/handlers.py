"""Follow help requests on the support plan: the requests topic moves plan items."""

from typing import Any

from patronage_common.consumers import EventRouter
from patronage_common.messaging import MessageRefused
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import flows
from .changes import ItemNotFoundError

router = EventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer="passport.plan-links",
    description="Plan items follow requests",
)


def serves_a_plan_item(body: dict[str, Any]) -> bool:
    """Whether a status change names a plan item: most requests serve none, and their
    changes are skipped before validation and the processed-event look-up and record."""
    return body.get("plan_item_id") is not None


@router.handles(RequestStatusChanged, wants=serves_a_plan_item)
async def on_request_status_changed(event: RequestStatusChanged, runtime: ServiceRuntime) -> None:
    """A request serving a plan item moved: link it to the item and move the item."""
    if event.plan_item_id is None:
        return
    try:
        await flows.follow_request_on_plan(
            runtime=runtime,
            family_id=event.family_id,
            plan_item_id=event.plan_item_id,
            request_id=event.request_id,
            request_status=event.status,
        )
    except (flows.PassportNotFoundError, ItemNotFoundError, flows.PassportInvalidError) as exc:
        raise MessageRefused(
            f"plan item {event.plan_item_id} of family {event.family_id} cannot follow "
            f"request {event.request_id}: {exc}"
        ) from exc
