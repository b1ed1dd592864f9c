"""Pure changes of a stored help request: each returns the store update and its events.

``flows`` runs them under the request's lock and stores update and events in one write.
Every change raises the request's version by one; a change of status is also appended to
the request's ``status_history`` (version, status, instant), as its event tells it.
"""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from patronage_common.store import Document
from patronage_contracts import (
    Agency,
    AgencyTaskReassigned,
    AgencyTaskStatus,
    AgencyTaskStatusChanged,
    AgencyTaskStatusReported,
    AgencyTransitionRefused,
    CancelHelpRequest,
    CuratorAttentionRequested,
    FeedbackReceived,
    HandleHelpRequest,
    Message,
    ProvideRequestInfo,
    ReopenHelpRequest,
    RequestInfoProvided,
    RequestStatus,
    RequestStatusChanged,
)
from patronage_contracts.labels import AGENCY_RU

from ..families.views import family_view
from . import domain

Flow = dict[str, Any]
"""Envelope fields (correlation, causation, trace, family) of the events of one change."""
Change = tuple[Document, list[Message]]


class ActionRefusedError(Exception):
    """The action is not allowed in the request's state (HTTP 409); nothing was applied."""


class ActionInvalidError(ValueError):
    """A field of the action names something that is not there (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def status_changed(
    document: Document,
    *,
    flow: Flow,
    version: int,
    status: RequestStatus,
    changed_by: str,
    reason: str | None,
) -> RequestStatusChanged | None:
    """RequestStatusChanged for a move to ``status`` (None if the status stays)."""
    previous = RequestStatus(document["status"])
    if status == previous:
        return None
    return RequestStatusChanged(
        **flow,
        request_id=UUID(document["_id"]),
        version=version,
        previous_status=previous,
        status=status,
        category=document["category"],
        district=document.get("district"),
        hq=document.get("hq"),
        curator_id=document.get("curator_id"),
        need_id=_uuid(document.get("need_id")),
        plan_item_id=_uuid(document.get("plan_item_id")),
        reason=reason,
        changed_by=changed_by,
    )


def history_entry(changed: RequestStatusChanged) -> Document:
    """The request's own record of one status change (``status_history``).

    Exactly what its RequestStatusChanged says, so whoever reads it (the SLA clocks, when
    their consumer lags) derives the same thing as from the event.
    """
    return {
        "version": changed.version,
        "status": changed.status.value,
        "at": changed.occurred_at.isoformat(),
    }


def handle_command(
    document: Document,
    task: Document,
    family: Document,
    *,
    flow: Flow,
    handed_off_from: Agency | None = None,
) -> HandleHelpRequest:
    """The task as its agency receives it, with only the family data that agency needs."""
    agency = Agency(task["agency"])
    return HandleHelpRequest(
        **flow,
        request_id=UUID(document["_id"]),
        task_id=UUID(task["task_id"]),
        agency=agency,
        category=document["category"],
        urgency=document["urgency"],
        description=document["description"],
        district=document.get("district"),
        handed_off_from=handed_off_from,
        **family_view(agency, family, member_id=_uuid(document.get("member_id"))),
    )


def new_task(agency: Agency, now: datetime, **extra: Any) -> Document:
    """A task just sent to ``agency``."""
    return {
        "task_id": str(uuid4()),
        "agency": agency.value,
        "status": domain.TASK_SENT,
        "note": None,
        "question": None,
        "asked_from": None,
        "updated_at": now,
        **extra,
    }


def _with_status(
    document: Document,
    tasks: list[Document],
    *,
    flow: Flow,
    status: RequestStatus,
    actor: str,
    reason: str | None,
    now: datetime,
    events: list[Message],
    extra: Document | None = None,
) -> Change:
    """The update replacing tasks and status, with RequestStatusChanged if it moved."""
    version = document["version"] + 1
    changed = status_changed(
        document, flow=flow, version=version, status=status, changed_by=actor, reason=reason
    )
    update: Document = {
        "$set": {
            "tasks": tasks,
            "status": status.value,
            "version": version,
            "updated_at": now,
            **(extra or {}),
        }
    }
    if changed is not None:
        update["$push"] = {"status_history": history_entry(changed)}
    return update, [*events, *([changed] if changed else [])]


def agency_report(document: Document, report: AgencyTaskStatusReported, now: datetime) -> Change:
    """Apply an agency's report to its task, or record why it cannot be applied."""
    flow: Flow = dict(report.caused())
    mark_applied = {"$push": {"applied_reports": str(report.event_id)}}
    task = next(t for t in document["tasks"] if t["task_id"] == str(report.task_id))
    if not domain.can_move_task(task["status"], report.status):
        refused = AgencyTransitionRefused(
            **flow,
            request_id=report.request_id,
            task_id=report.task_id,
            agency=report.agency,
            current_status=task["status"],
            reported_status=report.status,
            reason=domain.refusal_reason(task["status"], report.status),
        )
        return {"$set": {"version": document["version"] + 1}, **mark_applied}, [refused]
    note = report.question or report.result or report.reason
    asking = report.status == AgencyTaskStatus.NEEDS_INFO
    tasks = [
        {
            **t,
            "status": report.status.value,
            "note": note,
            "question": report.question if asking else None,
            "asked_from": domain.resume_state(t["status"], t.get("asked_from")) if asking else None,
            "updated_at": now,
        }
        if t["task_id"] == task["task_id"]
        else t
        for t in document["tasks"]
    ]
    status = domain.request_status_of(t["status"] for t in tasks)
    task_changed = AgencyTaskStatusChanged(
        **flow,
        request_id=report.request_id,
        task_id=report.task_id,
        agency=report.agency,
        status=report.status,
        note=note,
    )
    update, events = _with_status(
        document,
        tasks,
        flow=flow,
        status=status,
        actor=f"agency:{report.agency.value}",
        reason=note,
        now=now,
        events=[task_changed],
    )
    return {**update, "$push": {**update.get("$push", {}), **mark_applied["$push"]}}, events


def answer(
    document: Document,
    *,
    flow: Flow,
    answer_text: str,
    task_id: UUID | None,
    actor: str,
    now: datetime,
) -> Change:
    """The family's answer resumes the waiting tasks; their agencies get it."""
    waiting = [
        t
        for t in document["tasks"]
        if t["status"] == AgencyTaskStatus.NEEDS_INFO.value
        and (task_id is None or t["task_id"] == str(task_id))
    ]
    if not waiting:
        raise ActionInvalidError("task_id", "эта задача не ждёт сведений")
    answered = {t["task_id"] for t in waiting}
    events: list[Message] = []
    for task in waiting:
        common = {
            "request_id": UUID(document["_id"]),
            "task_id": UUID(task["task_id"]),
            "agency": Agency(task["agency"]),
            "question": task.get("question"),
        }
        events.append(RequestInfoProvided(**flow, **common, answer=answer_text, provided_by=actor))
        events.append(ProvideRequestInfo(**flow, **common, answer=answer_text, provided_by=actor))
    tasks = [
        {
            **t,
            "status": domain.resume_state(t["status"], t.get("asked_from")),
            "question": None,
            "asked_from": None,
            "note": answer_text,
            "updated_at": now,
        }
        if t["task_id"] in answered
        else t
        for t in document["tasks"]
    ]
    status = domain.request_status_of(t["status"] for t in tasks)
    return _with_status(
        document,
        tasks,
        flow=flow,
        status=status,
        actor=actor,
        reason="получены сведения",
        now=now,
        events=events,
    )


def close(
    document: Document, *, flow: Flow, comment: str | None, actor: str, now: datetime
) -> Change:
    """Close a resolved or rejected request."""
    return _with_status(
        document,
        document["tasks"],
        flow=flow,
        status=RequestStatus.CLOSED,
        actor=actor,
        reason=comment,
        now=now,
        events=[],
    )


def reopen(document: Document, *, flow: Flow, reason: str, actor: str, now: datetime) -> Change:
    """Send every active task back to its agency; the request is routed again."""
    events: list[Message] = []
    tasks = []
    for task in document["tasks"]:
        if not domain.is_active(task["status"]):
            tasks.append(task)
            continue
        tasks.append(
            {**task, "status": domain.TASK_SENT, "note": None, "question": None, "updated_at": now}
        )
        events.append(
            ReopenHelpRequest(
                **flow,
                request_id=UUID(document["_id"]),
                task_id=UUID(task["task_id"]),
                agency=Agency(task["agency"]),
                reason=reason,
                reopened_by=actor,
            )
        )
    return _with_status(
        document,
        tasks,
        flow=flow,
        status=RequestStatus.ROUTED,
        actor=actor,
        reason=reason,
        now=now,
        events=events,
        extra={"reopen_count": document.get("reopen_count", 0) + 1},
    )


def cancel(document: Document, *, flow: Flow, reason: str, actor: str, now: datetime) -> Change:
    """Cancel the request: every agency still working on it is told to stop."""
    events: list[Message] = []
    tasks = []
    for task in document["tasks"]:
        if not domain.is_active(task["status"]) or domain.is_finished(task["status"]):
            tasks.append(task)
            continue
        tasks.append({**task, "status": domain.TASK_CANCELLED, "updated_at": now})
        events.append(_stop(document, task, flow=flow, reason=reason, actor=actor))
    return _with_status(
        document,
        tasks,
        flow=flow,
        status=RequestStatus.CANCELLED,
        actor=actor,
        reason=reason,
        now=now,
        events=events,
    )


def _stop(document: Document, task: Document, *, flow: Flow, reason: str, actor: str) -> Message:
    return CancelHelpRequest(
        **flow,
        request_id=UUID(document["_id"]),
        task_id=UUID(task["task_id"]),
        agency=Agency(task["agency"]),
        reason=reason,
        cancelled_by=actor,
    )


def reroute(
    document: Document,
    family: Document,
    *,
    flow: Flow,
    task_id: UUID,
    agency: Agency,
    reason: str,
    actor: str,
    now: datetime,
) -> Change:
    """Hand one task off to another agency: a new task replaces it, the request stays."""
    task = next((t for t in document["tasks"] if t["task_id"] == str(task_id)), None)
    if task is None or not domain.is_active(task["status"]):
        raise ActionInvalidError("task_id", "у заявки нет такой действующей задачи")
    if task["status"] == AgencyTaskStatus.RESOLVED.value:
        raise ActionRefusedError("Нельзя передать задачу, которую ведомство уже решило.")
    if task["agency"] == agency.value:
        raise ActionInvalidError("agency", "задача уже у этого ведомства")
    previous = Agency(task["agency"])
    replacement = new_task(agency, now, handed_off_from=task["task_id"])
    events: list[Message] = [
        AgencyTaskReassigned(
            **flow,
            request_id=UUID(document["_id"]),
            task_id=task_id,
            agency=previous,
            new_task_id=UUID(replacement["task_id"]),
            new_agency=agency,
            reason=reason,
            reassigned_by=actor,
        )
    ]
    if not domain.is_finished(task["status"]):
        stop_reason = f"заявка передана в ведомство «{AGENCY_RU[agency]}»: {reason}"
        events.append(_stop(document, task, flow=flow, reason=stop_reason, actor=actor))
    events.append(
        handle_command(document, replacement, family, flow=flow, handed_off_from=previous)
    )
    tasks = [
        {
            **t,
            "status": domain.TASK_HANDED_OFF,
            "handed_off_to": replacement["task_id"],
            "updated_at": now,
        }
        if t["task_id"] == task["task_id"]
        else t
        for t in document["tasks"]
    ] + [replacement]
    status = domain.request_status_of(t["status"] for t in tasks)
    return _with_status(
        document,
        tasks,
        flow=flow,
        status=status,
        actor=actor,
        reason=reason,
        now=now,
        events=events,
    )


def feedback(
    document: Document,
    *,
    flow: Flow,
    rating: int,
    comment: str | None,
    actor: str,
    now: datetime,
) -> Change:
    """Record the family's rating; a low one asks for the curator's attention."""
    cycle = document.get("reopen_count", 0)
    if any(f.get("cycle") == cycle for f in document.get("feedback", [])):
        raise ActionRefusedError("Отзыв по этой заявке уже получен.")
    request_id = UUID(document["_id"])
    events: list[Message] = [
        FeedbackReceived(
            **flow,
            request_id=request_id,
            rating=rating,
            comment=comment,
            category=document["category"],
            curator_id=document.get("curator_id"),
            district=document.get("district"),
            given_by=actor,
        )
    ]
    update: Document = {
        "$set": {"version": document["version"] + 1, "updated_at": now},
        "$push": {
            "feedback": {
                "rating": rating,
                "comment": comment,
                "given_by": actor,
                "given_at": now,
                "cycle": cycle,
            }
        },
    }
    if domain.needs_curator_attention(rating):
        reason = domain.attention_reason(rating, comment)
        events.append(
            CuratorAttentionRequested(
                **flow,
                request_id=request_id,
                curator_id=document.get("curator_id"),
                district=document.get("district"),
                reason=reason,
                rating=rating,
            )
        )
        update["$set"]["attention"] = {"reason": reason, "requested_at": now}
    return update, events
