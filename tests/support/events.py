"""Contract events as the requests service would publish them, for consumers' tests."""

import uuid

from patronage_contracts import NeedCategory, RequestStatus, RequestStatusChanged


def routed(
    family_id: uuid.UUID,
    *,
    request_id: uuid.UUID | None = None,
    plan_item_id: uuid.UUID | None = None,
) -> RequestStatusChanged:
    """A request of ``family_id`` (new → routed), serving ``plan_item_id`` if given."""
    return RequestStatusChanged(
        family_id=family_id,
        request_id=request_id or uuid.uuid4(),
        version=1,
        previous_status=RequestStatus.NEW,
        status=RequestStatus.ROUTED,
        category=NeedCategory.SOCIAL_LEGAL,
        changed_by="requests",
        plan_item_id=plan_item_id,
    )
