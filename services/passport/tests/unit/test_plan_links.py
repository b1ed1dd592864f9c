import uuid

import pytest
from patronage_contracts import RequestStatus as R
from patronage_passport.passports.changes import plan_item_needs_change, plan_item_status_for
from patronage_passport.passports.enums import PlanItemStatus as P

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("request_status", "plan_status"),
    [
        (R.ROUTED, P.IN_PROGRESS),
        (R.NEEDS_INFO, P.IN_PROGRESS),
        (R.RESOLVED, P.DONE),
        (R.REJECTED, P.PLANNED),
        (R.CANCELLED, P.PLANNED),
        (R.CLOSED, None),
    ],
)
def test_a_plan_item_follows_its_request(request_status: R, plan_status: P | None) -> None:
    assert plan_item_status_for(request_status) == plan_status


def test_nothing_to_change_once_linked_with_that_status() -> None:
    item_id, request_id = uuid.uuid4(), uuid.uuid4()
    document = {
        "plan_items": [
            {
                "plan_item_id": str(item_id),
                "status": "in_progress",
                "request_ids": [str(request_id)],
            }
        ]
    }
    assert not plan_item_needs_change(document, item_id, request_id, P.IN_PROGRESS)
    assert plan_item_needs_change(document, item_id, request_id, P.DONE)
    assert plan_item_needs_change(document, item_id, uuid.uuid4(), P.IN_PROGRESS)
