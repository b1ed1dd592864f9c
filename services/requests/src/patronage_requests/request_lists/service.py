"""List storage: per scope (a curator or an agency) one bucket per creation day, by ``_id``.

``curator:<login>`` and ``agency:<agency>`` list the days that have requests; the bucket
``<scope>:<YYYY-MM-DD>`` maps each request id to its line (creation time, the request's
status, each agency's task status). ``task:<task id>`` names the request a task belongs
to (an agency knows its tasks by id). ``placed:<request id>`` remembers which scopes hold
the request's line and what the line said, so a refresh moves it between curators and
writes nothing when nothing changed. Lines are derived from the stored request alone, so a
repeated or late refresh can only make a line more current, never older.
"""

from collections.abc import Collection
from typing import Any
from uuid import UUID

from patronage_common.locks import locked
from patronage_common.store import Database, Document, upsert_one

from ..families.service import get_family
from ..help_requests.access import curator_of
from ..help_requests.service import get_request

LISTS = "request_lists"


def curator_scope(curator_id: str) -> str:
    """``_id`` of the list of a curator's families' requests."""
    return f"curator:{curator_id}"


def agency_scope(agency: str) -> str:
    """``_id`` of the list of requests with a task for ``agency``."""
    return f"agency:{agency}"


def bucket_id(scope: str, day: str) -> str:
    """``_id`` of one day's bucket of a list."""
    return f"{scope}:{day}"


def placement_id(request_id: str) -> str:
    """``_id`` of the note of where a request's line is listed."""
    return f"placed:{request_id}"


def task_index_id(task_id: str) -> str:
    """``_id`` of the note of which request a task belongs to."""
    return f"task:{task_id}"


async def request_of_task(*, db: Database, task_id: UUID | str) -> str | None:
    """The id of the request a task belongs to (None if the task is not listed yet)."""
    found = await db[LISTS].find_one({"_id": task_index_id(str(task_id))})
    return str(found["request_id"]) if found else None


def line_of(request: Document) -> Document:
    """A request's line: what listing, filtering and ordering need."""
    tasks: dict[str, str] = {}
    for task in request["tasks"]:  # a later task of the same agency (a hand-back) wins
        tasks[task["agency"]] = task["status"]
    return {"created_at": request["created_at"], "status": request["status"], "tasks": tasks}


def scopes_of(line: Document, curator_id: str | None) -> list[str]:
    """The lists a line belongs in."""
    scopes = [agency_scope(a) for a in sorted(line["tasks"])]
    return [*scopes, curator_scope(curator_id)] if curator_id else scopes


async def refresh_line(*, db: Database, request_id: UUID | str) -> None:
    """Put the request's current line in every list it belongs in (and out of the others)."""
    key = str(request_id)
    async with locked(db, f"{LISTS}:{key}"):
        request = await get_request(db=db, request_id=key)
        if request is None:
            return
        family = await get_family(db=db, family_id=UUID(request["family_id"]))
        line = line_of(request)
        scopes = scopes_of(line, curator_of(request, family))
        placed = await db[LISTS].find_one({"_id": placement_id(key)}) or {}
        before = placed.get("scopes", [])
        if placed.get("line") == line and before == scopes:
            return
        for task in request["tasks"]:
            if task["task_id"] not in placed.get("task_ids", []):
                await upsert_one(
                    db[LISTS],
                    {"_id": task_index_id(task["task_id"])},
                    {"$set": {"request_id": key}},
                )
        day = f"{line['created_at']:%Y-%m-%d}"
        for scope in scopes:
            if scope not in before:
                await upsert_one(db[LISTS], {"_id": scope}, {"$addToSet": {"days": day}})
            await upsert_one(
                db[LISTS], {"_id": bucket_id(scope, day)}, {"$set": {f"lines.{key}": line}}
            )
        for scope in set(before) - set(scopes):
            await db[LISTS].update_one(
                {"_id": bucket_id(scope, day)}, {"$unset": {f"lines.{key}": ""}}
            )
        # Written last: a crash before this point repeats the whole refresh on redelivery.
        await upsert_one(
            db[LISTS],
            {"_id": placement_id(key)},
            {
                "$set": {
                    "line": line,
                    "scopes": scopes,
                    "task_ids": [t["task_id"] for t in request["tasks"]],
                }
            },
        )


def _newest_first(lines: dict[str, Any]) -> list[tuple[str, Document]]:
    return sorted(lines.items(), key=lambda kv: (kv[1]["created_at"], kv[0]), reverse=True)


async def page_of(
    *,
    db: Database,
    scope: str,
    statuses: Collection[str],
    agency: str | None,
    offset: int,
    limit: int,
) -> list[str]:
    """Ids of one page of a list, newest first; ``statuses`` (if any) filter by the request's
    status, or by ``agency``'s task status when ``agency`` is given."""
    directory = await db[LISTS].find_one({"_id": scope}) or {}
    found: list[str] = []
    skipped = 0
    for day in sorted(directory.get("days", []), reverse=True):
        bucket = await db[LISTS].find_one({"_id": bucket_id(scope, day)}) or {}
        for request_id, line in _newest_first(bucket.get("lines") or {}):
            status = line["tasks"].get(agency) if agency else line["status"]
            if statuses and status not in statuses:
                continue
            if skipped < offset:
                skipped += 1
                continue
            found.append(request_id)
            if len(found) == limit:
                return found
    return found
