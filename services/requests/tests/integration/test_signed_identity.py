"""The requests service scopes every route by the gateway's signed identity (403 outside).

A role × endpoint matrix on one family of curator ``cur-a`` in the Elets district with a
housing request, including the attacks of changing an id in the URL or the query.
"""

from collections.abc import Callable
from typing import Any

import pytest
from patronage_common.identity import IDENTITY_HEADER, Identity, Role, sign_identity
from patronage_common.testing import eventually
from patronage_contracts import Agency

from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

SECRET = "requests-test-identity-secret-0123456789"
FORGER_SECRET = "another-secret-0123456789abcdefghijklmn"

CURATOR = Identity(subject="cur-a", role=Role.CURATOR)
OTHER_CURATOR = Identity(subject="cur-b", role=Role.CURATOR)
HEAD = Identity(subject="head-elets", role=Role.DISTRICT_HEAD, district="elets")
OTHER_HEAD = Identity(subject="head-usman", role=Role.DISTRICT_HEAD, district="usman")
HQ = Identity(subject="hq-1", role=Role.HQ_COORDINATOR, hq="hq-elets")
OTHER_HQ = Identity(subject="hq-2", role=Role.HQ_COORDINATOR, hq="hq-usman")
REGIONAL = Identity(subject="region-1", role=Role.REGIONAL_ADMIN)
DISPATCHER = Identity(subject="dispatcher-1", role=Role.DISPATCHER)
AUDITOR = Identity(subject="auditor-1", role=Role.AUDITOR)
MEDICAL = Identity(subject="clinic-1", role=Role.MEDICAL_ORGANIZATION)
HOUSING = Identity(subject="housing-1", role=Role.AGENCY_WORKER, agency=Agency.HOUSING)
EDUCATION = Identity(subject="edu-1", role=Role.AGENCY_WORKER, agency=Agency.EDUCATION)


def signed(identity: Identity) -> dict[str, str]:
    return {IDENTITY_HEADER: sign_identity(identity, SECRET)}


@pytest.fixture
def shared_settings() -> dict[str, Any]:
    """Both services refuse unsigned calls."""
    return {"identity_secret": SECRET, "identity_required": True}


@pytest.fixture
async def strict(services: dict[str, Any]) -> dict[str, Any]:
    """Passport and requests services that both refuse unsigned calls (``shared_settings``),
    with one family and its housing request."""
    passport, requests = services["passport"], services["requests"]
    family = await passport.post(
        "/passports",
        json=passport_payload(district="elets", curator_id="cur-a"),
        headers=signed(CURATOR),
    )
    assert family.status_code == 201, family.text
    family_id = family.json()["family_id"]
    # The requests service reads the passport with its own signed service identity.
    created = await requests.post(
        "/requests",
        json={"family_id": family_id, "category": "housing", "description": "Течёт крыша"},
        headers=signed(CURATOR),
    )
    assert created.status_code == 201, created.text
    return {"api": requests, "family_id": family_id, "request": created.json()}


Row = tuple[Identity, int]


def label(identity: Identity) -> str:
    return identity.subject


async def statuses(
    rows: list[Row], call: Callable[[dict[str, str]], Any]
) -> dict[str, tuple[int, int]]:
    """Each row's identity against one call: ``{who: (expected, got)}`` where they differ."""
    wrong = {}
    for identity, expected in rows:
        response = await call(signed(identity))
        if response.status_code != expected:
            wrong[label(identity)] = (expected, response.status_code)
    return wrong


async def test_unsigned_and_forged_calls_are_refused(strict: dict[str, Any]) -> None:
    api, request_id = strict["api"], strict["request"]["request_id"]
    assert (await api.get(f"/requests/{request_id}")).status_code == 401
    forged = {IDENTITY_HEADER: sign_identity(REGIONAL, FORGER_SECRET)}
    refused = await api.get(f"/requests/{request_id}", headers=forged)
    assert refused.status_code == 401
    assert "удостоверение" in refused.json()["detail"]


async def test_reading_a_request_by_role(strict: dict[str, Any]) -> None:
    api, request_id = strict["api"], strict["request"]["request_id"]
    rows = [(i, 200) for i in (CURATOR, HEAD, HQ, REGIONAL, DISPATCHER, HOUSING)] + [
        (i, 403) for i in (OTHER_CURATOR, OTHER_HEAD, OTHER_HQ, AUDITOR, MEDICAL, EDUCATION)
    ]
    assert await statuses(rows, lambda h: api.get(f"/requests/{request_id}", headers=h)) == {}
    refused = await api.get(f"/requests/{request_id}", headers=signed(OTHER_HEAD))
    assert refused.json()["detail"] == "заявка вне вашей зоны ответственности"
    refused = await api.get(f"/requests/{request_id}", headers=signed(EDUCATION))
    assert refused.json()["detail"] == "у вашего ведомства нет задачи по этой заявке"


async def test_another_curator_reads_only_with_a_stated_reason_and_never_acts(
    strict: dict[str, Any],
) -> None:
    api, request_id = strict["api"], strict["request"]["request_id"]
    refused = await api.get(f"/requests/{request_id}", headers=signed(OTHER_CURATOR))
    assert refused.json()["code"] == "break_glass_required"
    with_reason = OTHER_CURATOR.with_reason("семья позвонила, куратор в отпуске")
    assert (
        await api.get(f"/requests/{request_id}", headers=signed(with_reason))
    ).status_code == 200
    cancel = await api.post(
        f"/requests/{request_id}/cancel", json={"reason": "ошибка"}, headers=signed(with_reason)
    )
    assert cancel.status_code == 403
    assert (await api.get(f"/requests/{request_id}", headers=signed(CURATOR))).json()[
        "status"
    ] == "routed"


async def test_an_agency_worker_gets_only_the_agency_minimal_view(strict: dict[str, Any]) -> None:
    api, request_id = strict["api"], strict["request"]["request_id"]
    view = (await api.get(f"/requests/{request_id}", headers=signed(HOUSING))).json()
    assert {t["agency"] for t in view["tasks"]} == {"housing"}
    assert view["tasks"][0]["next_statuses"] == [
        "accepted",
        "in_progress",
        "needs_info",
        "resolved",
        "rejected",
    ]
    assert view["address"]["locality"] == "Липецк"  # housing receives the address
    assert view["applicant"]["full_name"]
    for hidden in ("family_id", "curator_id", "hq", "created_by", "feedback", "children"):
        assert not view.get(hidden), hidden


async def test_lists_by_family_curator_and_agency_are_scoped(strict: dict[str, Any]) -> None:
    api, family_id = strict["api"], strict["family_id"]

    def listing(query: dict[str, str]) -> Callable[[dict[str, str]], Any]:
        return lambda h: api.get("/requests", params=query, headers=h)

    family_rows = [(i, 200) for i in (CURATOR, HEAD, HQ, REGIONAL, DISPATCHER)] + [
        (i, 403) for i in (OTHER_CURATOR, OTHER_HEAD, OTHER_HQ, HOUSING, AUDITOR)
    ]
    assert await statuses(family_rows, listing({"family_id": family_id})) == {}
    lines = f"/families/{family_id}/requests"
    assert await statuses(family_rows, lambda h: api.get(lines, headers=h)) == {}
    # Changing the curator or agency in the query does not widen anyone's scope.
    curator_rows = [(CURATOR, 200), (REGIONAL, 200)] + [
        (i, 403) for i in (OTHER_CURATOR, HEAD, HQ, DISPATCHER, HOUSING, AUDITOR)
    ]
    assert await statuses(curator_rows, listing({"curator_id": "cur-a"})) == {}
    agency_rows = [(HOUSING, 200), (REGIONAL, 200)] + [
        (i, 403) for i in (EDUCATION, CURATOR, HEAD, DISPATCHER, AUDITOR)
    ]
    assert await statuses(agency_rows, listing({"agency": "housing"})) == {}
    refused = await api.get("/requests", params={"agency": "housing"}, headers=signed(EDUCATION))
    assert "своего ведомства" in refused.json()["detail"]


async def test_who_creates_acts_and_reports(strict: dict[str, Any]) -> None:
    api, family_id = strict["api"], strict["family_id"]
    request = strict["request"]
    request_id, task_id = request["request_id"], request["tasks"][0]["task_id"]
    create_rows = [(CURATOR, 201), (DISPATCHER, 201), (REGIONAL, 201)] + [
        (i, 403) for i in (OTHER_CURATOR, HEAD, HQ, HOUSING, AUDITOR, MEDICAL)
    ]
    payload = {"family_id": family_id, "category": "housing", "description": "Ещё одна"}
    assert (
        await statuses(create_rows, lambda h: api.post("/requests", json=payload, headers=h)) == {}
    )
    # Allowed to act, but an open request cannot be closed (409); everyone else 403.
    act_rows = [(CURATOR, 409), (REGIONAL, 409)] + [
        (i, 403) for i in (OTHER_CURATOR, HEAD, HQ, DISPATCHER, HOUSING, AUDITOR)
    ]
    close = f"/requests/{request_id}/close"
    assert await statuses(act_rows, lambda h: api.post(close, json={}, headers=h)) == {}
    accept = f"/requests/{request_id}/tasks/{task_id}/accept"
    report_rows = [(i, 403) for i in (EDUCATION, CURATOR, REGIONAL, DISPATCHER)] + [(HOUSING, 200)]
    assert await statuses(report_rows, lambda h: api.post(accept, headers=h)) == {}
    refused = await api.post(accept, headers=signed(EDUCATION))
    assert refused.json()["detail"] == "задача поручена другому ведомству"


async def test_sla_clocks_and_badges_follow_the_same_scope(strict: dict[str, Any]) -> None:
    api, request_id = strict["api"], strict["request"]["request_id"]

    async def clocks_started() -> Any:
        response = await api.get(f"/requests/{request_id}/sla", headers=signed(CURATOR))
        return response if response.status_code == 200 else None

    sla = (await eventually(clocks_started, what="the request's SLA clocks")).json()
    assert {c["clock"] for c in sla["clocks"]} == {"first_response", "resolution"}
    rows = [(i, 200) for i in (CURATOR, HEAD, HQ, REGIONAL, DISPATCHER, HOUSING)] + [
        (i, 403) for i in (OTHER_CURATOR, OTHER_HEAD, OTHER_HQ, AUDITOR, MEDICAL, EDUCATION)
    ]
    assert await statuses(rows, lambda h: api.get(f"/requests/{request_id}/sla", headers=h)) == {}
    agency = (await api.get(f"/requests/{request_id}/sla", headers=signed(HOUSING))).json()
    assert (agency["curator_id"], agency["district"], agency["hq"]) == (None, None, None)
    assert [c["clock"] for c in agency["clocks"]] == [c["clock"] for c in sla["clocks"]]

    overdue_rows = [(HEAD, 200), (REGIONAL, 200)] + [
        (i, 403) for i in (OTHER_HEAD, CURATOR, HQ, DISPATCHER, HOUSING, AUDITOR)
    ]
    assert (
        await statuses(
            overdue_rows, lambda h: api.get("/sla/overdue", params={"district": "elets"}, headers=h)
        )
        == {}
    )

    # The curator's list and the request itself carry a badge per clock; the agency's
    # minimal view has none.
    listed = await api.get("/requests", params={"curator_id": "cur-a"}, headers=signed(CURATOR))
    (line,) = [r for r in listed.json() if r["request_id"] == request_id]
    assert {b["clock"]: b["state"] for b in line["sla"]} == {
        "first_response": "running",
        "resolution": "running",
    }
    assert all(b["state_label"] == "идёт" and b["due_at"] for b in line["sla"])
    read = (await api.get(f"/requests/{request_id}", headers=signed(HEAD))).json()
    assert [b["clock"] for b in read["sla"]] == [b["clock"] for b in line["sla"]]
    minimal = (await api.get(f"/requests/{request_id}", headers=signed(HOUSING))).json()
    assert "sla" not in minimal


async def test_calls_and_appointments_are_the_lines_work(strict: dict[str, Any]) -> None:
    api, family_id = strict["api"], strict["family_id"]
    consultation = {"subject": "Вопрос о выплатах", "outcome": "consultation"}

    def log_call(h: dict[str, str]) -> Any:
        return api.post("/calls", json=consultation, headers=h)

    rows = [(DISPATCHER, 201), (REGIONAL, 201)] + [
        (i, 403) for i in (CURATOR, HEAD, HQ, HOUSING, AUDITOR, MEDICAL)
    ]
    assert await statuses(rows, log_call) == {}
    day = (await api.get("/calls", headers=signed(DISPATCHER))).json()
    assert {c["dispatcher_id"] for c in day["items"]} == {"dispatcher-1", "region-1"}
    assert (await api.get("/calls", headers=signed(CURATOR))).status_code == 403
    refused = await api.post("/calls", json=consultation, headers=signed(CURATOR))
    assert refused.json()["detail"] == "звонки и записи на приём ведёт диспетчер линии 129"

    specialists = await api.get("/specialists", headers=signed(CURATOR))
    assert specialists.status_code == 200
    booking = {"family_id": family_id, "specialist_id": "nobody", "starts_at": "2030-01-01T09:00Z"}
    assert (
        await api.post("/appointments", json=booking, headers=signed(CURATOR))
    ).status_code == 403
    # The dispatcher passes the scope check (and gets the booking's own validation).
    assert (
        await api.post("/appointments", json=booking, headers=signed(DISPATCHER))
    ).status_code == 422
