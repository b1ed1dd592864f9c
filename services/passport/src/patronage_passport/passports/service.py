"""Data access for passports (plain functions over the store)."""

from typing import Any
from uuid import UUID

from patronage_common.store import Database, Document

PASSPORTS = "passports"


async def get_passport(*, db: Database, family_id: UUID) -> Document | None:
    """The current passport document, or None."""
    return await db[PASSPORTS].find_one({"_id": str(family_id)}, {"outbox": 0})


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored passport."""
    return {
        "family_id": document["_id"],
        **{k: v for k, v in document.items() if k not in ("_id", "outbox")},
    }
