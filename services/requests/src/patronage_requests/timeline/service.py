"""Timeline storage: one bucket per family and month, plus a list of the family's months.

``_id`` = ``<family_id>:<YYYY-MM>`` for buckets and the family id for the month list, so
every read and write is by ``_id``. Entries are added with ``$addToSet`` of a value fixed
by the event, so a redelivered event adds nothing; a bucket's array keeps the order in
which the family's events were consumed (Kafka keeps one family's events in order).
"""

from datetime import datetime
from uuid import UUID

from patronage_common.store import Database, Document, upsert_one

BUCKETS = "timeline_buckets"
MONTHS = "timeline_months"


def bucket_id(family_id: UUID | str, at: datetime) -> str:
    """``_id`` of the family's bucket for the month of ``at``."""
    return f"{family_id}:{at:%Y-%m}"


async def add_entry(*, db: Database, family_id: UUID, entry: Document) -> None:
    """Add one entry to the family's timeline (a repeat of the same entry is ignored)."""
    month = f"{entry['at']:%Y-%m}"
    await upsert_one(db[MONTHS], {"_id": str(family_id)}, {"$addToSet": {"months": month}})
    await upsert_one(
        db[BUCKETS],
        {"_id": bucket_id(family_id, entry["at"])},
        {"$addToSet": {"entries": entry}},
    )


async def read_timeline(*, db: Database, family_id: UUID, limit: int) -> list[Document]:
    """The family's latest ``limit`` entries, newest first."""
    months = await db[MONTHS].find_one({"_id": str(family_id)})
    entries: list[Document] = []
    for month in sorted((months or {}).get("months", []), reverse=True):
        bucket = await db[BUCKETS].find_one({"_id": f"{family_id}:{month}"})
        newest_first = list(reversed((bucket or {}).get("entries", [])))
        # By time, newest first; entries of one moment keep the order they were consumed in.
        entries += sorted(newest_first, key=lambda e: e["at"], reverse=True)
        if len(entries) >= limit:
            break
    return entries[:limit]
