"""Timeline storage: one bucket per family and month, plus a list of the family's months.

``_id`` = ``<family_id>:<YYYY-MM>`` for buckets and the family id for the month list, so
every read and write is by ``_id``. Entries are added with ``$addToSet`` of a value fixed
by the event, so a redelivered event adds nothing; a bucket's array keeps the order in
which the family's events were consumed (Kafka keeps one family's events in order).

An entry is stored as one string (``packed_entry``): FerretDB stores a document's type
schema beside its values, and a bucket is read and written whole each time the family's
events come. Entries an earlier version stored as documents are read as they are, and an
event found in both forms (the topic replayed into the new form) is shown once.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from patronage_common.store import Database, Document, projections_of, upsert_many

BUCKETS = "timeline_buckets"
MONTHS = "timeline_months"


ENTRY_FIELDS = ("at", "event_id", "request_id", "text", "type")
SEPARATOR = "|"


def packed_entry(entry: Document) -> str | Document:
    """An entry as stored: ``<at>|<event_id>|<type>|<request_id>|<text>`` (the text last, so
    it may hold the separator), or the entry itself if it has other fields or another shape."""
    at, request_id = entry.get("at"), entry.get("request_id")
    if tuple(sorted(entry)) != ENTRY_FIELDS or not isinstance(entry["text"], str):
        return entry
    if not isinstance(at, datetime) or at.tzinfo is None:
        return entry
    words = (str(entry["event_id"]), str(entry["type"]), str(request_id or ""))
    if any(SEPARATOR in word for word in words) or request_id == "":
        return entry
    moment = at.astimezone(UTC).isoformat(timespec="milliseconds")
    return SEPARATOR.join((moment, *words, entry["text"]))


def unpacked_entry(stored: str | Document) -> Document:
    """An entry as ``packed_entry`` got it (one stored as a document is returned as it is)."""
    if not isinstance(stored, str):
        return stored
    at, event_id, kind, request_id, text = stored.split(SEPARATOR, 4)
    return {
        "event_id": event_id,
        "at": datetime.fromisoformat(at),
        "type": kind,
        "request_id": request_id or None,
        "text": text,
    }


def bucket_id(family_id: UUID | str, at: datetime) -> str:
    """``_id`` of the family's bucket for the month of ``at``."""
    return f"{family_id}:{at:%Y-%m}"


async def add_entries(*, db: Database, entries: Sequence[tuple[UUID, Document]]) -> None:
    """Add entries to their families' timelines (a repeat of the same entry is ignored).

    One update per family bucket however many of its entries came together, in the
    order given; a family's list of months is updated only for a month this process has
    not added to it yet.
    """
    buckets: dict[str, list[Document]] = defaultdict(list)
    months: dict[str, set[str]] = defaultdict(set)
    for family_id, entry in entries:
        buckets[bucket_id(family_id, entry["at"])].append(entry)
        month = f"{entry['at']:%Y-%m}"
        if (db.name, str(family_id), month) not in _listed_months:
            months[str(family_id)].add(month)
    await upsert_many(
        projections_of(db)[MONTHS],
        [({"_id": f}, {"$addToSet": {"months": {"$each": sorted(m)}}}) for f, m in months.items()],
    )
    if len(_listed_months) > MEMORY_LIMIT:
        _listed_months.clear()
    _listed_months.update((db.name, f, m) for f, ms in months.items() for m in ms)
    await upsert_many(
        projections_of(db)[BUCKETS],
        [
            ({"_id": b}, {"$addToSet": {"entries": {"$each": [packed_entry(e) for e in es]}}})
            for b, es in buckets.items()
        ],
    )


_listed_months: set[tuple[str, str, str]] = set()
"""(database, family, month) this process has put on the family's list of months."""
MEMORY_LIMIT = 100_000


async def read_timeline(*, db: Database, family_id: UUID, limit: int) -> list[Document]:
    """The family's latest ``limit`` entries, newest first."""
    months = await projections_of(db)[MONTHS].find_one({"_id": str(family_id)})
    entries: list[Document] = []
    seen: set[str] = set()
    for month in sorted((months or {}).get("months", []), reverse=True):
        bucket = await projections_of(db)[BUCKETS].find_one({"_id": f"{family_id}:{month}"})
        newest_first = []
        for stored in reversed((bucket or {}).get("entries", [])):
            entry = unpacked_entry(stored)
            if str(entry["event_id"]) not in seen:
                seen.add(str(entry["event_id"]))
                newest_first.append(entry)
        # By time, newest first; entries of one moment keep the order they were consumed in.
        entries += sorted(newest_first, key=lambda e: e["at"], reverse=True)
        if len(entries) >= limit:
            break
    return entries[:limit]
