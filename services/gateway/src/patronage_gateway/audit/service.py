"""Append-only audit storage designed for look-ups by ``_id``.

Each entry is pushed into three bucket documents: the hour of the day, the actor's day and
the subject's day. A search reads one actor or subject bucket, or the day's 24 hour
buckets: never a scan. The three writes run together; entries are only ever appended.
"""

import asyncio

from patronage_common.store import Database, upsert_one

from .models import AuditEntry, AuditQuery

AUDIT = "audit"


def bucket_ids(entry: AuditEntry) -> list[str]:
    """The bucket documents an entry is appended to."""
    day = entry.at.date().isoformat()
    return [
        f"hour:{day}:{entry.at.hour:02d}",
        f"actor:{entry.actor}:{day}",
        f"subject:{entry.subject_id}:{day}",
    ]


def query_bucket_ids(query: AuditQuery) -> list[str]:
    """The buckets that hold every entry a query may match."""
    day = query.day.isoformat()
    if query.actor:
        return [f"actor:{query.actor}:{day}"]
    if query.subject_id:
        return [f"subject:{query.subject_id}:{day}"]
    return [f"hour:{day}:{hour:02d}" for hour in range(24)]


def matches(entry: AuditEntry, query: AuditQuery) -> bool:
    """Does the entry match every criterion of the query?"""
    return (
        entry.at.date() == query.day
        and query.actor in (None, "", entry.actor)
        and query.subject_id in (None, "", entry.subject_id)
    )


async def append(*, db: Database, entry: AuditEntry) -> None:
    """Append an entry to its buckets."""
    stored = entry.model_dump(mode="python")
    await asyncio.gather(
        *(
            upsert_one(db[AUDIT], {"_id": bucket}, {"$push": {"entries": stored}})
            for bucket in bucket_ids(entry)
        )
    )


async def search(*, db: Database, query: AuditQuery) -> list[AuditEntry]:
    """Entries matching the query, newest first."""
    documents = await asyncio.gather(
        *(db[AUDIT].find_one({"_id": bucket}) for bucket in query_bucket_ids(query))
    )
    entries = [
        AuditEntry.model_validate(raw)
        for document in documents
        if document
        for raw in document.get("entries", [])
    ]
    return sorted((e for e in entries if matches(e, query)), key=lambda e: e.at, reverse=True)
