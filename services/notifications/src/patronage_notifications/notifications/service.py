"""Data access for notifications."""

from typing import Any

from patronage_common.store import Database, Document

NOTIFICATIONS = "notifications"


async def list_for_recipient(*, db: Database, recipient_id: str, limit: int) -> list[Document]:
    """Newest notifications of a recipient."""
    cursor = (
        db[NOTIFICATIONS]
        .find({"recipient_id": recipient_id}, {"outbox": 0})
        .sort("created_at", -1)
        .limit(limit)
    )
    return [doc async for doc in cursor]


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored notification."""
    return {"notification_id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}
