from uuid import uuid4

import pytest
from patronage_contracts import NeedCategory, RecipientRole, RequestStatus, RequestStatusChanged
from patronage_notifications.notifications.rules import decide_status_change

pytestmark = pytest.mark.unit


def changed(curator_id: str | None) -> RequestStatusChanged:
    return RequestStatusChanged(
        family_id=uuid4(),
        request_id=uuid4(),
        version=2,
        previous_status=RequestStatus.ROUTED,
        status=RequestStatus.ACCEPTED,
        category=NeedCategory.HOUSING,
        curator_id=curator_id,
        changed_by="agency:housing",
    )


def test_curator_is_told_in_russian() -> None:
    (decision,) = decide_status_change(changed("curator-7"))
    assert decision.recipient_role is RecipientRole.CURATOR
    assert decision.recipient_id == "curator-7"
    assert "принята ведомством" in decision.text
    assert "жильё" in decision.text


def test_family_without_curator_gets_no_curator_notification() -> None:
    assert decide_status_change(changed(None)) == []
