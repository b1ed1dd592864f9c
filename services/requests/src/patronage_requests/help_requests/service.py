"""Data access for help requests and the per-family request index (all by ``_id``)."""

from typing import Any
from uuid import UUID

from patronage_common.store import Database, Document, upsert_one

REQUESTS = "help_requests"
FAMILY_REQUESTS = "family_requests"
"""One document per family (``_id`` = family id) listing its request ids, oldest first."""


async def get_request(*, db: Database, request_id: UUID | str) -> Document | None:
    """The stored request, or None."""
    return await db[REQUESTS].find_one({"_id": str(request_id)}, {"outbox": 0})


async def add_to_family_index(*, db: Database, family_id: UUID, request_id: UUID) -> None:
    """List the request under its family (before the request itself is stored)."""
    await upsert_one(
        db[FAMILY_REQUESTS],
        {"_id": str(family_id)},
        {"$addToSet": {"request_ids": str(request_id)}},
    )


async def requests_of_family(*, db: Database, family_id: UUID) -> list[Document]:
    """The family's requests, newest first (ids whose request was never stored are skipped)."""
    index = await db[FAMILY_REQUESTS].find_one({"_id": str(family_id)})
    found = []
    for request_id in reversed((index or {}).get("request_ids", [])):
        document = await get_request(db=db, request_id=request_id)
        if document is not None:
            found.append(document)
    return found


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored request."""
    hidden = {"_id", "outbox", "applied_reports", "correlation_id"}
    return {"request_id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}
