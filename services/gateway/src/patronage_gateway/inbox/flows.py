"""The inbox over the requests service: the agency's task list and the worker's decisions."""

from typing import Any
from uuid import UUID

from patronage_common.identity import Identity
from patronage_contracts import AgencyTaskStatus

from ..clients import ServiceError, Services

ACTION_OF = {
    AgencyTaskStatus.ACCEPTED: "accept",
    AgencyTaskStatus.IN_PROGRESS: "start",
    AgencyTaskStatus.NEEDS_INFO: "ask",
    AgencyTaskStatus.RESOLVED: "resolve",
    AgencyTaskStatus.REJECTED: "reject",
}
"""The requests service's endpoint for each decision."""
TEXT_FIELD = {
    AgencyTaskStatus.NEEDS_INFO: "question",
    AgencyTaskStatus.RESOLVED: "result",
    AgencyTaskStatus.REJECTED: "reason",
}
OPEN_TASKS = ("sent", "accepted", "in_progress", "needs_info")
CLOSED_TASKS = ("resolved", "rejected", "cancelled", "handed_off")


class TaskNotFoundError(LookupError):
    """No such task."""


class NotYourAgencyError(PermissionError):
    """The task belongs to another agency."""


class ActionRefusedError(ValueError):
    """The decision cannot be taken now, or its text is missing (``field`` names it)."""

    def __init__(self, message: str, field: str = "status") -> None:
        super().__init__(message)
        self.field = field


def _own_task(view: dict[str, Any], task_id: str | None = None) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = view["tasks"]
    if task_id is not None:
        return next(t for t in tasks if t["task_id"] == task_id)
    return tasks[-1]  # the agency's latest task in the request


def task_of(view: dict[str, Any], task_id: str | None = None) -> dict[str, Any]:
    """One task of the agency's view of a request, with the request's fields beside it."""
    task = _own_task(view, task_id)
    return {
        **view,
        "task_id": task["task_id"],
        "request_status": view["status"],
        "status": task["status"],
        "note": task.get("note"),
        "question": task.get("question"),
        "next_statuses": task.get("next_statuses", []),
        "received_at": view["created_at"],
    }


async def agency_tasks(
    services: Services, identity: Identity, *, closed: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """The agency's open (or recently closed) tasks, newest first."""
    assert identity.agency is not None
    views = await services.list_requests(
        identity,
        agency=identity.agency.value,
        status=list(CLOSED_TASKS if closed else OPEN_TASKS),
        limit=limit,
    )
    return [task_of(v) for v in views]


async def read_task(services: Services, identity: Identity, task_id: UUID) -> dict[str, Any]:
    """A task of the worker's agency (its minimal view)."""
    try:
        view = await services.read_task(identity, task_id)
    except ServiceError as exc:
        if exc.status_code == 403:
            raise NotYourAgencyError(str(task_id)) from exc
        raise
    if view is None:
        raise TaskNotFoundError(str(task_id))
    return task_of(view, str(task_id))


async def report_status(
    services: Services,
    identity: Identity,
    task_id: UUID,
    status: AgencyTaskStatus,
    text: str | None,
    report_id: UUID | None = None,
) -> dict[str, Any]:
    """Send the worker's decision to the requests service; the task as it is now."""
    task = await read_task(services, identity, task_id)
    payload: dict[str, Any] = {"report_id": str(report_id) if report_id else None}
    if status in TEXT_FIELD:
        payload[TEXT_FIELD[status]] = text or ""
    try:
        view = await services.report_task(
            identity, task["request_id"], task_id, ACTION_OF[status], payload
        )
    except ServiceError as exc:
        if exc.status_code == 403:
            raise NotYourAgencyError(str(task_id)) from exc
        if exc.status_code == 404:
            raise TaskNotFoundError(str(task_id)) from exc
        if exc.status_code == 409:
            raise ActionRefusedError(str(exc.detail)) from exc
        if exc.status_code == 422 and isinstance(exc.detail, list) and exc.detail:
            raise ActionRefusedError(str(exc.detail[0].get("msg")), field="text") from exc
        raise
    return task_of(view, str(task_id))
