"""Who may read, list, create and act on help requests (pure rules of the signed identity)."""

import pytest
from patronage_common.access import BREAK_GLASS_REQUIRED
from patronage_common.identity import Identity, Role
from patronage_contracts import Agency
from patronage_requests.help_requests import access
from patronage_requests.help_requests.domain import RequestAction

REQUEST = {
    "_id": "r-1",
    "family_id": "f-1",
    "category": "housing",
    "district": "elets",
    "hq": "hq-elets",
    "curator_id": "cur-old",
    "tasks": [{"task_id": "t-1", "agency": "housing", "status": "sent"}],
}
FAMILY = {"_id": "f-1", "district": "elets", "hq": "hq-elets", "curator_id": "cur-a"}

CURATOR = Identity(subject="cur-a", role=Role.CURATOR)
FORMER_CURATOR = Identity(subject="cur-old", role=Role.CURATOR)
HOUSING = Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.HOUSING)
HEALTH = Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.HEALTH)


@pytest.mark.parametrize(
    ("identity", "allowed"),
    [
        (None, True),
        (CURATOR, True),
        (FORMER_CURATOR, False),  # the snapshot's current curator counts, not the old one
        (Identity(subject="h", role=Role.DISTRICT_HEAD, district="elets"), True),
        (Identity(subject="h", role=Role.DISTRICT_HEAD, district="usman"), False),
        (Identity(subject="h", role=Role.DISTRICT_HEAD), False),
        (Identity(subject="q", role=Role.HQ_COORDINATOR, hq="hq-elets"), True),
        (Identity(subject="q", role=Role.HQ_COORDINATOR, hq="hq-usman"), False),
        (Identity(subject="r", role=Role.REGIONAL_ADMIN), True),
        (Identity(subject="d", role=Role.DISPATCHER), True),
        (Identity(subject="a", role=Role.AUDITOR), False),
        (Identity(subject="m", role=Role.MEDICAL_ORGANIZATION), False),
        (HOUSING, True),
        (HEALTH, False),
        (Identity(subject="w", role=Role.AGENCY_WORKER), False),
    ],
)
def test_who_reads_a_request(identity: Identity | None, allowed: bool) -> None:
    assert access.may_read(identity, REQUEST, FAMILY).allowed is allowed


def test_another_curator_is_asked_for_a_reason_and_reads_with_one_but_never_acts() -> None:
    refused = access.may_read(FORMER_CURATOR, REQUEST, FAMILY)
    assert refused.code == BREAK_GLASS_REQUIRED
    assert refused.family_id == "f-1"
    with_reason = FORMER_CURATOR.with_reason("замещаю коллегу")
    assert access.may_read(with_reason, REQUEST, FAMILY).allowed
    assert not access.may_act(with_reason, RequestAction.CANCEL, REQUEST, FAMILY).allowed


def test_a_medical_organization_sees_only_health_requests() -> None:
    clinic = Identity(subject="m", role=Role.MEDICAL_ORGANIZATION)
    assert access.may_read(clinic, {**REQUEST, "category": "health"}, FAMILY).allowed
    assert access.visible_in_family_list(clinic, {"category": "psychological"})
    assert not access.visible_in_family_list(clinic, {"category": "housing"})


def test_lists_by_curator_and_agency_stay_inside_ones_own_scope() -> None:
    assert access.may_list_curator(CURATOR, "cur-a").allowed
    assert not access.may_list_curator(CURATOR, "cur-b").allowed
    assert not access.may_list_curator(HOUSING, "cur-a").allowed
    assert access.may_list_agency(HOUSING, Agency.HOUSING).allowed
    assert not access.may_list_agency(HOUSING, Agency.HEALTH).allowed
    assert not access.may_list_agency(CURATOR, Agency.HOUSING).allowed
    admin = Identity(subject="r", role=Role.REGIONAL_ADMIN)
    assert access.may_list_curator(admin, "cur-b").allowed
    assert access.may_list_agency(admin, Agency.HEALTH).allowed


@pytest.mark.parametrize(
    ("identity", "action", "allowed"),
    [
        (CURATOR, RequestAction.CANCEL, True),
        (FORMER_CURATOR, RequestAction.CANCEL, False),
        (Identity(subject="d", role=Role.DISPATCHER), RequestAction.ANSWER, True),
        (Identity(subject="d", role=Role.DISPATCHER), RequestAction.FEEDBACK, True),
        (Identity(subject="d", role=Role.DISPATCHER), RequestAction.CANCEL, False),
        (
            Identity(subject="h", role=Role.DISTRICT_HEAD, district="elets"),
            RequestAction.REROUTE,
            False,
        ),
        (HOUSING, RequestAction.CLOSE, False),
        (Identity(subject="r", role=Role.REGIONAL_ADMIN), RequestAction.REOPEN, True),
    ],
)
def test_who_acts_on_a_request(identity: Identity, action: RequestAction, allowed: bool) -> None:
    assert access.may_act(identity, action, REQUEST, FAMILY).allowed is allowed


def test_only_a_worker_of_the_tasks_agency_reports_on_it() -> None:
    task = REQUEST["tasks"][0]  # type: ignore[index]
    assert access.may_report(HOUSING, task).allowed
    assert access.may_report(HEALTH, task).message == "задача поручена другому ведомству"
    assert not access.may_report(CURATOR, task).allowed


def test_a_curator_creates_requests_only_for_their_own_families() -> None:
    assert access.may_create(CURATOR, FAMILY).allowed
    assert not access.may_create(FORMER_CURATOR, FAMILY).allowed
    assert access.may_create(Identity(subject="d", role=Role.DISPATCHER), FAMILY).allowed
    assert not access.may_create(HOUSING, FAMILY).allowed
