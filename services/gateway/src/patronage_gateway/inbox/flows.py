"""Receiving agency tasks and reporting the worker's decisions on them."""

from typing import Any
from uuid import UUID

from patronage_common.identity import Identity
from patronage_common.locks import locked
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_contracts import (
    AgencyTaskStatus,
    AgencyTaskStatusReported,
    HandleHelpRequest,
    utc_now,
)
from pymongo.errors import DuplicateKeyError

from . import service
from .rules import TASK_SENT, TERMINAL, TEXT_FIELD, allowed_actions, text_problem


class TaskNotFoundError(LookupError):
    """No such task in any inbox."""


class NotYourAgencyError(PermissionError):
    """The task belongs to another agency."""


class ActionRefusedError(ValueError):
    """The status cannot be reported now, or its text is missing (``field`` names it)."""

    def __init__(self, message: str, field: str = "status") -> None:
        super().__init__(message)
        self.field = field


async def receive_task(*, runtime: ServiceRuntime, command: HandleHelpRequest) -> None:
    """Store a new task (a repeat delivery changes nothing) and list it in the inbox."""
    now = utc_now()
    task: Document = {
        "_id": service.task_doc_id(str(command.task_id)),
        **command.model_dump(mode="json", exclude={"type", "schema_version", "producer"}),
        "command_event_id": str(command.event_id),
        "agency": command.agency.value,
        "status": TASK_SENT,
        "closed": False,
        "history": [],
        "received_at": now,
        "updated_at": now,
    }
    try:
        await runtime.db[service.INBOX].insert_one(task)
    except DuplicateKeyError:
        return
    await service.index_task(db=runtime.db, task=task)


def check_agency(identity: Identity, task: Document) -> None:
    """Only the task's own agency works on it."""
    if identity.agency is None or identity.agency.value != task["agency"]:
        raise NotYourAgencyError(task["task_id"])


async def read_task(*, runtime: ServiceRuntime, identity: Identity, task_id: UUID) -> Document:
    """A task of the worker's agency (its minimal view)."""
    task = await service.get_task(db=runtime.db, task_id=str(task_id))
    if task is None:
        raise TaskNotFoundError(str(task_id))
    check_agency(identity, task)
    return task


def _report(task: Document, status: AgencyTaskStatus, text: str | None, by: str) -> Any:
    fields: dict[str, Any] = {}
    if status in TEXT_FIELD:
        fields[TEXT_FIELD[status]] = text
    return AgencyTaskStatusReported(
        correlation_id=task["correlation_id"],
        causation_id=task["command_event_id"],
        trace_context=task.get("trace_context") or {},
        family_id=task["family_id"],
        producer=f"agency:{task['agency']}",
        request_id=task["request_id"],
        task_id=task["task_id"],
        agency=task["agency"],
        status=status,
        reported_by=by,
        **fields,
    )


async def report_status(
    *,
    runtime: ServiceRuntime,
    identity: Identity,
    task_id: UUID,
    status: AgencyTaskStatus,
    text: str | None,
) -> Document:
    """Record the worker's decision and publish it to the requests service (outbox)."""
    problem = text_problem(status, text)
    if problem:
        raise ActionRefusedError(problem, field="text")
    doc_id = service.task_doc_id(str(task_id))
    async with locked(runtime.db, f"{service.INBOX}:{doc_id}"):
        task = await read_task(runtime=runtime, identity=identity, task_id=task_id)
        if status not in allowed_actions(task["status"]):
            raise ActionRefusedError(
                f"из статуса «{task['status']}» нельзя перейти в «{status.value}»"
            )
        now = utc_now()
        entry = {"status": status.value, "text": text, "by": identity.subject, "at": now}
        updated = await runtime.outbox.update(
            service.INBOX,
            doc_id,
            {
                "$set": {
                    "status": status.value,
                    "closed": status.value in TERMINAL,
                    "updated_at": now,
                },
                "$push": {"history": entry},
            },
            [_report(task, status, text, identity.subject)],
        )
    assert updated is not None
    await service.index_task(db=runtime.db, task=updated)
    return updated
