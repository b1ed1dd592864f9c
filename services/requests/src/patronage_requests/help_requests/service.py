"""Data access for help requests and the per-family request index (all by ``_id``)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from patronage_common.outbox import DUPLICATE_KEY
from patronage_common.store import UPSERT_ATTEMPTS, Database, Document
from patronage_contracts import Agency
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from ..families.views import family_view
from . import domain

REQUESTS = "help_requests"
FAMILY_REQUESTS = "family_requests"
"""One document per family (``_id`` = family id) listing its request ids, oldest first."""


async def get_request(*, db: Database, request_id: UUID | str) -> Document | None:
    """The stored request, or None."""
    return await db[REQUESTS].find_one({"_id": str(request_id)}, {"outbox": 0})


async def add_to_family_indexes(*, db: Database, documents: Sequence[Document]) -> None:
    """List new requests under their families in one bulk write (one upsert per family)."""
    by_family: dict[str, list[str]] = {}
    for document in documents:
        by_family.setdefault(document["family_id"], []).append(document["_id"])
    # One statement per family: FerretDB hangs on two upserts of one _id in a bulk.
    operations = [
        UpdateOne({"_id": family_id}, {"$addToSet": {"request_ids": {"$each": ids}}}, upsert=True)
        for family_id, ids in by_family.items()
    ]
    for _ in range(UPSERT_ATTEMPTS - 1):
        try:
            await db[FAMILY_REQUESTS].bulk_write(operations, ordered=False)
            return
        except BulkWriteError as exc:
            # Two writers creating one family's index at once: the loser's upsert applies
            # on a second try (as ``upsert_one`` does).
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
    await db[FAMILY_REQUESTS].bulk_write(operations, ordered=False)


async def request_ids_of_family(*, db: Database, family_id: UUID) -> list[str]:
    """Ids listed under the family, oldest first (some may never have been stored)."""
    index = await db[FAMILY_REQUESTS].find_one({"_id": str(family_id)})
    return list((index or {}).get("request_ids", []))


async def requests_of_family(*, db: Database, family_id: UUID) -> list[Document]:
    """The family's requests, newest first (ids whose request was never stored are skipped)."""
    found = []
    for request_id in reversed(await request_ids_of_family(db=db, family_id=family_id)):
        document = await get_request(db=db, request_id=request_id)
        if document is not None:
            found.append(document)
    return found


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored request."""
    hidden = {"_id", "outbox", "applied_reports", "correlation_id"}
    return {"request_id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}


def to_agency_view(document: Document, family: Document | None, agency: Agency) -> dict[str, Any]:
    """What a worker of ``agency`` sees of a request: their tasks and the family data their
    agency receives with its tasks (AGENCY_VIEWS), nothing more."""
    own = [t for t in document["tasks"] if t["agency"] == agency.value]
    member_id = document.get("member_id")
    return {
        "request_id": document["_id"],
        "category": document["category"],
        "description": document["description"],
        "urgency": document["urgency"],
        "status": document["status"],
        "district": document.get("district"),
        "created_at": document["created_at"],
        "updated_at": document.get("updated_at"),
        "tasks": [
            {
                "task_id": t["task_id"],
                "agency": t["agency"],
                "status": t["status"],
                "note": t.get("note"),
                "question": t.get("question"),
                "next_statuses": domain.next_statuses(t["status"]),
                "updated_at": t["updated_at"],
            }
            for t in own
        ],
        **family_view(agency, family or {}, member_id=UUID(member_id) if member_id else None),
    }
