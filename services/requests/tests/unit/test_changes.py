import uuid
from typing import Any

import pytest
from patronage_contracts import (
    Agency,
    AgencyTaskReassigned,
    AgencyTaskStatusReported,
    CancelHelpRequest,
    CuratorAttentionRequested,
    FeedbackReceived,
    HandleHelpRequest,
    ProvideRequestInfo,
    ReopenHelpRequest,
    RequestInfoProvided,
    RequestStatusChanged,
    utc_now,
)
from patronage_requests.help_requests import changes, domain

pytestmark = pytest.mark.unit

NOW = utc_now()
FAMILY_ID = uuid.uuid4()


def request(*task_states: tuple[str, str], status: str = "routed") -> dict[str, Any]:
    return {
        "_id": str(uuid.uuid4()),
        "family_id": str(FAMILY_ID),
        "category": "childcare",
        "description": "Нужна няня",
        "urgency": "normal",
        "status": status,
        "version": 4,
        "district": "elets",
        "plan_item_id": None,
        "tasks": [
            {**changes.new_task(Agency(agency), NOW), "status": state}
            for agency, state in task_states
        ],
        "reopen_count": 0,
        "feedback": [],
    }


def flow() -> changes.Flow:
    return {"correlation_id": uuid.uuid4(), "trace_context": {}, "family_id": FAMILY_ID}


def report(document: dict[str, Any], index: int, status: str, **texts: str) -> Any:
    task = document["tasks"][index]
    return AgencyTaskStatusReported(
        family_id=FAMILY_ID,
        producer="agency",
        request_id=uuid.UUID(document["_id"]),
        task_id=uuid.UUID(task["task_id"]),
        agency=task["agency"],
        status=status,
        **texts,
    )


def applied(document: dict[str, Any], change: changes.Change) -> dict[str, Any]:
    update, _ = change
    return {**document, **update["$set"]}


def test_a_question_pauses_and_the_answer_resumes_the_previous_state() -> None:
    document = request(("social_protection", "in_progress"), ("education", "accepted"))
    document["status"] = "in_progress"
    asked = applied(
        document,
        changes.agency_report(document, report(document, 0, "needs_info", question="СНИЛС?"), NOW),
    )
    assert asked["status"] == "needs_info"
    assert asked["tasks"][0]["question"] == "СНИЛС?"

    update, events = changes.answer(
        asked, flow=flow(), answer_text="123-456-789 00", task_id=None, actor="curator-1", now=NOW
    )
    assert update["$set"]["status"] == "in_progress"
    assert update["$set"]["tasks"][0]["status"] == "in_progress"
    assert update["$set"]["version"] == asked["version"] + 1
    to_agency = next(e for e in events if isinstance(e, ProvideRequestInfo))
    assert (to_agency.agency, to_agency.question, to_agency.answer) == (
        Agency.SOCIAL_PROTECTION,
        "СНИЛС?",
        "123-456-789 00",
    )
    assert any(isinstance(e, RequestInfoProvided) for e in events)
    changed = next(e for e in events if isinstance(e, RequestStatusChanged))
    assert (changed.previous_status.value, changed.status.value) == ("needs_info", "in_progress")


def test_answering_a_task_that_asked_nothing_is_invalid() -> None:
    document = request(("health", "in_progress"), status="in_progress")
    with pytest.raises(changes.ActionInvalidError):
        changes.answer(document, flow=flow(), answer_text="x", task_id=None, actor="c", now=NOW)


def test_reopen_sends_every_task_back_to_its_agency() -> None:
    document = request(
        ("social_protection", "resolved"), ("education", "rejected"), status="closed"
    )
    update, events = changes.reopen(
        document, flow=flow(), reason="няня не пришла", actor="c", now=NOW
    )
    assert update["$set"]["status"] == "routed"
    assert {t["status"] for t in update["$set"]["tasks"]} == {domain.TASK_SENT}
    assert update["$set"]["reopen_count"] == 1
    assert {e.agency for e in events if isinstance(e, ReopenHelpRequest)} == {
        Agency.SOCIAL_PROTECTION,
        Agency.EDUCATION,
    }


def test_cancel_stops_only_the_agencies_still_working() -> None:
    document = request(("social_protection", "resolved"), ("education", "accepted"))
    document["status"] = "in_progress"
    update, events = changes.cancel(
        document, flow=flow(), reason="семья переехала", actor="c", now=NOW
    )
    assert update["$set"]["status"] == "cancelled"
    assert [t["status"] for t in update["$set"]["tasks"]] == ["resolved", domain.TASK_CANCELLED]
    stops = [e for e in events if isinstance(e, CancelHelpRequest)]
    assert [s.agency for s in stops] == [Agency.EDUCATION]


def test_a_handoff_replaces_the_task_and_tells_both_agencies() -> None:
    document = request(("housing", "accepted"), status="accepted")
    old = document["tasks"][0]
    family = {"share_with_agencies": True, "applicant_full_name": "Иванова М. И.", "members": []}
    update, events = changes.reroute(
        document,
        family,
        flow=flow(),
        task_id=uuid.UUID(old["task_id"]),
        agency=Agency.SOCIAL_PROTECTION,
        reason="ремонт за счёт соцзащиты",
        actor="curator-1",
        now=NOW,
    )
    tasks = update["$set"]["tasks"]
    assert [(t["agency"], t["status"]) for t in tasks] == [
        ("housing", domain.TASK_HANDED_OFF),
        ("social_protection", domain.TASK_SENT),
    ]
    assert tasks[0]["handed_off_to"] == tasks[1]["task_id"]
    assert update["$set"]["status"] == "routed"
    assert [type(e) for e in events] == [
        AgencyTaskReassigned,
        CancelHelpRequest,
        HandleHelpRequest,
        RequestStatusChanged,
    ]
    handle = events[2]
    assert isinstance(handle, HandleHelpRequest)
    assert handle.handed_off_from == Agency.HOUSING
    assert handle.request_id == uuid.UUID(document["_id"])


def test_a_resolved_task_cannot_be_handed_off() -> None:
    document = request(("housing", "resolved"), ("education", "accepted"), status="in_progress")
    with pytest.raises(changes.ActionRefusedError):
        changes.reroute(
            document,
            {},
            flow=flow(),
            task_id=uuid.UUID(document["tasks"][0]["task_id"]),
            agency=Agency.HEALTH,
            reason="не туда",
            actor="c",
            now=NOW,
        )


def test_a_low_rating_asks_for_the_curator_and_marks_the_request() -> None:
    document = request(("housing", "resolved"), status="resolved")
    document["curator_id"] = "curator-7"
    update, events = changes.feedback(
        document, flow=flow(), rating=2, comment="долго", actor="family", now=NOW
    )
    assert [type(e) for e in events] == [FeedbackReceived, CuratorAttentionRequested]
    assert events[1].curator_id == "curator-7"  # type: ignore[attr-defined]
    assert "2 из 5" in update["$set"]["attention"]["reason"]
    again = {**document, "feedback": [update["$push"]["feedback"]]}
    with pytest.raises(changes.ActionRefusedError, match="уже"):
        changes.feedback(again, flow=flow(), rating=5, comment=None, actor="family", now=NOW)


def test_a_good_rating_is_only_recorded() -> None:
    document = request(("housing", "resolved"), status="closed")
    update, events = changes.feedback(
        document, flow=flow(), rating=5, comment=None, actor="f", now=NOW
    )
    assert [type(e) for e in events] == [FeedbackReceived]
    assert "attention" not in update["$set"]


def test_a_change_of_status_is_recorded_in_the_request_history() -> None:
    document = request(("social_protection", "accepted"), status="accepted")
    update, events = changes.agency_report(
        document, report(document, 0, "needs_info", question="СНИЛС?"), NOW
    )
    changed = next(e for e in events if isinstance(e, RequestStatusChanged))
    assert update["$push"]["status_history"] == {
        "version": 5,
        "status": "needs_info",
        "at": changed.occurred_at.isoformat(),
    }
    assert "applied_reports" in update["$push"]  # the report is still marked applied
    # Closing a request records its move too; a change without a move records nothing.
    closed, _ = changes.close(
        {**document, "status": "resolved"}, flow=flow(), comment=None, actor="c", now=NOW
    )
    assert closed["$push"]["status_history"]["status"] == "closed"
    rated, _ = changes.feedback(document, flow=flow(), rating=5, comment=None, actor="f", now=NOW)
    assert "status_history" not in rated.get("$push", {})
