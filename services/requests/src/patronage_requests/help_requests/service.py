"""Data access for help requests."""

from typing import Any
from uuid import UUID

from patronage_common.store import Database, Document

REQUESTS = "help_requests"


async def get_request(*, db: Database, request_id: UUID) -> Document | None:
    """The stored request, or None."""
    return await db[REQUESTS].find_one({"_id": str(request_id)}, {"outbox": 0})


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored request."""
    hidden = {"_id", "outbox", "applied_reports"}
    return {"request_id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}
