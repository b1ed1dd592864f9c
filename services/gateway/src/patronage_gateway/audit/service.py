"""Append-only audit storage designed for look-ups by ``_id``.

Each entry is pushed into three bucket documents: its ten minutes of the day, the actor's
day and the subject's day. A search reads one actor or subject bucket, or the day's 144
ten-minute buckets: never a scan. Entries are only ever appended (``$push``); small time
buckets keep every document small, since the store rewrites a document on each update.

Writes are group-committed: concurrent entries are appended together, one update per
bucket, and each caller returns only once its entry is stored (a failed write fails the
calls whose entries it held, so nothing is served unaudited).
"""

import asyncio
from collections import defaultdict
from typing import Any

from patronage_common.store import Database, upsert_one

from .models import AuditEntry, AuditQuery

AUDIT = "audit"
SLOT_MINUTES = 10


def _slot(hour: int, minute: int) -> str:
    return f"{hour:02d}{minute - minute % SLOT_MINUTES:02d}"


def bucket_ids(entry: AuditEntry) -> list[str]:
    """The bucket documents an entry is appended to."""
    day = entry.at.date().isoformat()
    return [
        f"time:{day}:{_slot(entry.at.hour, entry.at.minute)}",
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
    return [
        f"time:{day}:{_slot(hour, minute)}"
        for hour in range(24)
        for minute in range(0, 60, SLOT_MINUTES)
    ]


def matches(entry: AuditEntry, query: AuditQuery) -> bool:
    """Does the entry match every criterion of the query?"""
    return (
        entry.at.date() == query.day
        and query.actor in (None, "", entry.actor)
        and query.subject_id in (None, "", entry.subject_id)
    )


class AuditWriter:
    """Appends entries in groups: whoever arrives while a write runs goes in the next one."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[AuditEntry, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def append(self, entry: AuditEntry) -> None:
        """Store the entry (together with whatever else is waiting); return once stored."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_all(), name="audit-flush")
        await done

    async def _flush_all(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await write_entries(db=self._db, entries=[entry for entry, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


async def write_entries(*, db: Database, entries: list[AuditEntry]) -> None:
    """Append entries to their buckets: one ``$push`` per bucket."""
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        stored = entry.model_dump(mode="python")
        for bucket in bucket_ids(entry):
            by_bucket[bucket].append(stored)
    await asyncio.gather(
        *(
            upsert_one(db[AUDIT], {"_id": bucket}, {"$push": {"entries": {"$each": batch}}})
            for bucket, batch in by_bucket.items()
        )
    )


# One writer per database object (the process's store connection); it keeps the object.
_writers: dict[int, AuditWriter] = {}


async def append(*, db: Database, entry: AuditEntry) -> None:
    """Append an entry to its buckets (group-committed with concurrent entries)."""
    writer = _writers.get(id(db))
    if writer is None:
        writer = _writers[id(db)] = AuditWriter(db)
    await writer.append(entry)


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
