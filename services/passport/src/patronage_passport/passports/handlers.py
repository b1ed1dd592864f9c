"""Follow help requests on the support plan: the requests topic moves plan items."""

from typing import Any

from patronage_common.consumers import BatchEventRouter
from patronage_common.messaging import MessageRefused, dead_letter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Message, RequestStatusChanged
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from . import flows
from .changes import ItemNotFoundError

CONSUMER = "passport.plan-links"


def serves_a_plan_item(body: dict[str, Any]) -> bool:
    """Whether a status change names a plan item: most requests serve none, and their
    changes are skipped before validation and the processed-event records."""
    return body.get("plan_item_id") is not None


async def on_request_status_changes(events: list[Message], runtime: ServiceRuntime) -> None:
    """Requests serving plan items moved: link each to its item and move the item, in
    topic order; a change that cannot be applied goes to the DLQ and the batch goes on."""
    for event in events:
        assert isinstance(event, RequestStatusChanged)
        await on_request_status_changed(event, runtime)


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
        await dead_letter(
            runtime.broker,
            runtime.settings,
            topic=REQUEST_EVENTS_TOPIC.name,
            body=event.model_dump(mode="json"),
            exc=MessageRefused(
                f"plan item {event.plan_item_id} of family {event.family_id} cannot follow "
                f"request {event.request_id}: {exc}"
            ),
            consumer=CONSUMER,
        )


# In batches: one offset commit per batch, not per event (three events per new request
# pass by on this topic, and a commit per message kept this consumer behind the routing).
router = BatchEventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer=CONSUMER,
    types=(RequestStatusChanged,),
    handler=on_request_status_changes,
    wants=serves_a_plan_item,
    description="Plan items follow requests",
)
