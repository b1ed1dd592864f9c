"""The audit log as the previous layout wrote it: read-only, still searched.

Until the paged log (``service``), each entry was pushed into three growing bucket
documents of the ``audit`` collection: its ten minutes of the day, the actor's day and the
subject's day. Nothing writes there any more; a search still reads the buckets of its day,
so the entries written before the change stay findable without a migration.
"""

import asyncio

from patronage_common.store import Database

from .models import AuditEntry, AuditQuery

LEGACY_AUDIT = "audit"
SLOT_MINUTES = 10


def _slot(hour: int, minute: int) -> str:
    return f"{hour:02d}{minute - minute % SLOT_MINUTES:02d}"


def legacy_bucket_ids(query: AuditQuery) -> list[str]:
    """The previous layout's buckets that hold every entry a query may match."""
    day = query.day.isoformat()
    if query.actor:
        return [f"actor:{query.actor}:{day}"]
    if query.subject_id:
        return [f"subject:{query.subject_id}:{day}"]
    return [
        f"time:{day}:{_slot(hour, minute)}"
        for hour in range(24)
        for minute in range(0, 60, SLOT_MINUTES)
    ]


async def read_legacy(*, db: Database, query: AuditQuery) -> list[AuditEntry]:
    """Entries of the previous layout's buckets for the query (unfiltered); none if it has none."""
    if LEGACY_AUDIT not in await db.list_collection_names():
        return []
    documents = await asyncio.gather(
        *(db[LEGACY_AUDIT].find_one({"_id": bucket}) for bucket in legacy_bucket_ids(query))
    )
    return [
        AuditEntry.model_validate(raw)
        for document in documents
        if document
        for raw in document.get("entries", [])
    ]
