"""Data access for help requests and the per-family request index (all by ``_id``)."""

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from patronage_common.locks import locked, release_many, try_lock_many
from patronage_common.store import Database, Document, upsert_one
from patronage_contracts import Agency
from pymongo import UpdateOne

from ..families.views import family_view
from . import domain

REQUESTS = "help_requests"
FAMILY_REQUESTS = "family_requests"
"""One document per family (``_id`` = family id) listing its request ids, oldest first."""


async def get_request(*, db: Database, request_id: UUID | str) -> Document | None:
    """The stored request, or None."""
    return await db[REQUESTS].find_one({"_id": str(request_id)}, {"outbox": 0})


async def add_to_family_indexes(*, db: Database, documents: Sequence[Document]) -> None:
    """List new requests under their families: one bulk write for the families not locked.

    An index is a read-modify-write in FerretDB v1 (two concurrent ``$addToSet`` on one
    document can lose one), so each family's index is written under its lock: the free
    ones taken in one insert, a family another group is writing done on its own after it.
    """
    by_family: dict[str, list[str]] = {}
    for document in documents:
        by_family.setdefault(document["family_id"], []).append(document["_id"])
    keys = {f"{FAMILY_REQUESTS}:{family_id}": family_id for family_id in by_family}
    owner, taken = await try_lock_many(db, list(keys))
    try:
        if taken:
            # One statement per family: FerretDB hangs on two upserts of one _id in a bulk.
            await db[FAMILY_REQUESTS].bulk_write(
                [
                    UpdateOne(
                        {"_id": keys[key]},
                        {"$addToSet": {"request_ids": {"$each": by_family[keys[key]]}}},
                        upsert=True,
                    )
                    for key in taken
                ],
                ordered=False,
            )
    finally:
        await release_many(db, taken, owner)

    async def one_family(key: str) -> None:
        async with locked(db, key):
            await upsert_one(
                db[FAMILY_REQUESTS],
                {"_id": keys[key]},
                {"$addToSet": {"request_ids": {"$each": by_family[keys[key]]}}},
            )

    await asyncio.gather(*(one_family(key) for key in set(keys) - set(taken)))


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
