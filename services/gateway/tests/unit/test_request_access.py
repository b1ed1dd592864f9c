"""Gateway-side scoping of help requests, and the agency's minimal view."""

import pytest
from patronage_common.identity import Identity, Role
from patronage_contracts import Agency
from patronage_gateway.access import agency_view, request_access

pytestmark = pytest.mark.unit

REQUEST = {
    "request_id": "r1",
    "family_id": "f1",
    "category": "housing",
    "description": "Течёт крыша",
    "urgency": "normal",
    "status": "routed",
    "district": "elets",
    "curator_id": "cur-1",
    "created_at": "2026-01-01T00:00:00Z",
    "tasks": [
        {"task_id": "t1", "agency": "housing", "status": "sent"},
        {"task_id": "t2", "agency": "social_protection", "status": "sent"},
    ],
}


@pytest.mark.parametrize(
    ("identity", "allowed"),
    [
        (Identity(subject="cur-1", role=Role.CURATOR), True),
        (Identity(subject="cur-2", role=Role.CURATOR), False),
        (Identity(subject="h", role=Role.DISTRICT_HEAD, district="elets"), True),
        (Identity(subject="h", role=Role.DISTRICT_HEAD, district="gryazi"), False),
        (Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.HOUSING), True),
        (Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.EDUCATION), False),
        (Identity(subject="a", role=Role.REGIONAL_ADMIN), True),
        (Identity(subject="d", role=Role.DISPATCHER), True),
        (Identity(subject="x", role=Role.AUDITOR), False),
        (Identity(subject="m", role=Role.MEDICAL_ORGANIZATION), False),
    ],
)
def test_who_sees_a_request(identity: Identity, allowed: bool) -> None:
    assert request_access(identity, REQUEST).allowed is allowed


def test_another_curator_needs_a_reason_and_is_flagged() -> None:
    stranger = Identity(subject="cur-2", role=Role.CURATOR)
    assert request_access(stranger, REQUEST).needs_reason
    opened = request_access(stranger.with_reason("замещаю коллегу"), REQUEST)
    assert opened.allowed
    assert opened.flagged


def test_the_agency_view_holds_no_family_data_and_only_its_own_task() -> None:
    worker = Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.HOUSING)
    view = agency_view(worker, REQUEST)
    assert "family_id" not in view
    assert "curator_id" not in view
    assert [t["task_id"] for t in view["tasks"]] == ["t1"]


def test_the_familys_current_curator_reads_requests_recorded_under_the_previous_one() -> None:
    successor = Identity(subject="cur-2", role=Role.CURATOR)
    handed_over = request_access(successor, REQUEST, current_curator="cur-2")
    assert (handed_over.allowed, handed_over.flagged, handed_over.needs_reason) == (
        True,
        False,
        False,
    )
    # Another family's curator is no successor.
    assert request_access(successor, REQUEST, current_curator="cur-3").needs_reason
