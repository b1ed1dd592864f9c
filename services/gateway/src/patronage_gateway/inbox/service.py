"""Inbox storage: one document per task, one open-tasks index per agency (by ``_id``)."""

from typing import Any

from patronage_common.store import Database, Document, upsert_one

INBOX = "inbox"


def task_doc_id(task_id: str) -> str:
    """``_id`` of a task's document."""
    return f"task:{task_id}"


def open_index_id(agency: str) -> str:
    """``_id`` of an agency's open-tasks index."""
    return f"open:{agency}"


def closed_index_id(agency: str, month: str) -> str:
    """``_id`` of an agency's tasks closed in one month (YYYY-MM)."""
    return f"closed:{agency}:{month}"


def summary_of(task: Document) -> dict[str, Any]:
    """The line of an index for a task."""
    return {
        "task_id": task["task_id"],
        "request_id": task["request_id"],
        "category": task["category"],
        "urgency": task["urgency"],
        "district": task.get("district"),
        "status": task["status"],
        "received_at": task["received_at"],
    }


async def get_task(*, db: Database, task_id: str) -> Document | None:
    """A task's document."""
    return await db[INBOX].find_one({"_id": task_doc_id(task_id)})


async def index_task(*, db: Database, task: Document) -> None:
    """Put (or refresh) a task's line in its agency's open index or monthly closed index."""
    agency = task["agency"]
    line = summary_of(task)
    if task["closed"]:
        month = task["updated_at"].strftime("%Y-%m")
        await upsert_one(
            db[INBOX],
            {"_id": closed_index_id(agency, month)},
            {"$set": {f"tasks.{task['task_id']}": line}},
        )
        await db[INBOX].update_one(
            {"_id": open_index_id(agency)}, {"$unset": {f"tasks.{task['task_id']}": ""}}
        )
        return
    await upsert_one(
        db[INBOX], {"_id": open_index_id(agency)}, {"$set": {f"tasks.{task['task_id']}": line}}
    )


async def open_tasks(*, db: Database, agency: str) -> list[dict[str, Any]]:
    """An agency's open tasks, urgent first, then oldest first."""
    document = await db[INBOX].find_one({"_id": open_index_id(agency)}) or {}
    lines = list((document.get("tasks") or {}).values())
    return sorted(lines, key=lambda t: (t["urgency"] != "urgent", t["received_at"]))


async def closed_tasks(*, db: Database, agency: str, month: str) -> list[dict[str, Any]]:
    """An agency's tasks closed in one month, newest first."""
    document = await db[INBOX].find_one({"_id": closed_index_id(agency, month)}) or {}
    lines = list((document.get("tasks") or {}).values())
    return sorted(lines, key=lambda t: t["received_at"], reverse=True)
