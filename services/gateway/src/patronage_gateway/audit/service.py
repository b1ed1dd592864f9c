"""Append-only audit storage in small pages written once, every look-up by ``_id``.

Each entry is stored on one page of each of its indexes: the day, the actor's day, the
subject's day and, for a flagged entry, the day's flagged entries. Page ``n`` of an index has
the ``_id`` ``<index key>#<n>``; a search reads pages 0, 1, 2, … until one is missing, so
pages are numbered without gaps.

Writes are group-committed: the entries that arrive while a write runs are stored together
by the next one, and each caller returns only once its entry is stored (a failed write fails
the calls whose entries it held, so nothing is served unaudited). A write is one
``insert_many`` of new pages, one per index the group touches (more for a group larger than
``PAGE_SIZE``): a page is never updated. Pages filled in place (``$push``) took a round trip
per index the group touched, each rewriting the whole page in the store.

A writer claims a page number by inserting it; a duplicate key means another writer
(another replica) took that number: it finds the index's last page and tries the next.
"""

import asyncio
from collections import OrderedDict, defaultdict
from typing import Any

from patronage_common.store import Collection, Database, Document
from pymongo.errors import BulkWriteError

from .legacy import read_legacy
from .models import AuditEntry, AuditQuery

AUDIT_PAGES = "audit_pages"
PAGE_SIZE = 10
# Pages read at once by a search (all by ``_id``).
READ_AHEAD = 16
# Indexes whose next page number a writer remembers; a forgotten one is guessed as page 0.
REMEMBERED_INDEXES = 10_000
# Pages inserted by one command at most.
INSERT_BATCH = 50
DUPLICATE_KEY = 11000


def index_keys(entry: AuditEntry) -> list[str]:
    """The indexes an entry is appended to."""
    day = entry.at.date().isoformat()
    keys = [f"day:{day}", f"actor:{day}:{entry.actor}", f"subject:{day}:{entry.subject_id}"]
    if entry.flagged:
        keys.append(f"flagged:{day}")
    return keys


def query_index_key(query: AuditQuery) -> str:
    """The one index that holds every entry a query may match (the narrowest)."""
    day = query.day.isoformat()
    if query.actor:
        return f"actor:{day}:{query.actor}"
    if query.subject_id:
        return f"subject:{day}:{query.subject_id}"
    if query.flagged_only:
        return f"flagged:{day}"
    return f"day:{day}"


def page_id(key: str, number: int) -> str:
    """``_id`` of page ``number`` of the index ``key``."""
    return f"{key}#{number}"


def matches(entry: AuditEntry, query: AuditQuery) -> bool:
    """Does the entry match every criterion of the query?"""
    return (
        entry.at.date() == query.day
        and query.actor in (None, "", entry.actor)
        and query.subject_id in (None, "", entry.subject_id)
        and (entry.flagged or not query.flagged_only)
    )


async def _page_exists(pages: Collection, key: str, number: int) -> bool:
    return await pages.find_one({"_id": page_id(key, number)}, {"_id": 1}) is not None


async def last_page(pages: Collection, key: str) -> int:
    """The number of the index's last page, -1 if it has none (a logarithmic probe)."""
    if not await _page_exists(pages, key, 0):
        return -1
    present, absent = 0, 1
    while await _page_exists(pages, key, absent):
        present, absent = absent, absent * 2
    while absent - present > 1:
        middle = (present + absent) // 2
        if await _page_exists(pages, key, middle):
            present = middle
        else:
            absent = middle
    return present


class AuditWriter:
    """Stores entries in groups: whoever arrives while a write runs goes in the next one."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pages = db[AUDIT_PAGES]
        # The number of the next page to claim, by index (a guess: another writer may have
        # taken it; an index not remembered starts at page 0, usually right for a new day's).
        self._next: OrderedDict[str, int] = OrderedDict()
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
                await self.write_entries([entry for entry, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def write_entries(self, entries: list[AuditEntry]) -> None:
        """Store entries on new pages of each of their indexes: one insert of every page
        while no other writer took the numbers, else again for the indexes it did."""
        by_index: dict[str, list[Document]] = defaultdict(list)
        for entry in entries:
            stored = entry.model_dump(mode="python")
            for key in index_keys(entry):
                by_index[key].append(stored)
        pages = [
            (key, chunk)
            for key, stored in by_index.items()
            for chunk in (stored[i : i + PAGE_SIZE] for i in range(0, len(stored), PAGE_SIZE))
        ]
        while pages:
            taken = await self._insert_pages(pages)
            if taken:
                # Another writer has those numbers: look up where each index ends now.
                keys = list(dict.fromkeys(key for key, _ in taken))
                ends = await asyncio.gather(*(last_page(self._pages, key) for key in keys))
                for key, end in zip(keys, ends, strict=True):
                    self._remember(key, max(end + 1, self._next.get(key, 0)))
            pages = taken

    async def _insert_pages(
        self, pages: list[tuple[str, list[Document]]]
    ) -> list[tuple[str, list[Document]]]:
        """Insert the pages at each index's next numbers; the pages whose number was taken."""
        documents: list[Document] = []
        claimed: dict[str, int] = {}
        for key, chunk in pages:
            number = claimed.get(key, self._next.get(key, 0))
            claimed[key] = number + 1
            documents.append(
                {"_id": page_id(key, number), "index": key, "page": number, "entries": chunk}
            )
        taken: list[tuple[str, list[Document]]] = []
        try:
            for first in range(0, len(documents), INSERT_BATCH):
                try:
                    await self._pages.insert_many(
                        documents[first : first + INSERT_BATCH], ordered=False
                    )
                except BulkWriteError as exc:
                    errors = exc.details.get("writeErrors", [])
                    if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                        raise
                    taken.extend(pages[first + e["index"]] for e in errors)
        except BaseException:
            # What landed is unknown: these indexes' ends are looked up before reuse.
            for key in claimed:
                self._next.pop(key, None)
            raise
        for key, number in claimed.items():
            self._remember(key, number)
        return taken

    def _remember(self, key: str, number: int) -> None:
        self._next[key] = number
        self._next.move_to_end(key)
        while len(self._next) > REMEMBERED_INDEXES:
            self._next.popitem(last=False)


# One writer per database object (the process's store connection); it keeps the object.
_writers: dict[int, AuditWriter] = {}


def writer_of(db: Database) -> AuditWriter:
    """The process's writer for this database."""
    writer = _writers.get(id(db))
    if writer is None:
        writer = _writers[id(db)] = AuditWriter(db)
    return writer


async def append(*, db: Database, entry: AuditEntry) -> None:
    """Append an entry to its indexes (group-committed with concurrent entries)."""
    await writer_of(db).append(entry)


async def read_index(*, db: Database, key: str) -> list[AuditEntry]:
    """Every entry of an index: its pages in order, ``READ_AHEAD`` at a time, until one is
    missing."""
    pages = db[AUDIT_PAGES]
    entries: list[AuditEntry] = []
    first = 0
    while True:
        documents: list[Any] = await asyncio.gather(
            *(pages.find_one({"_id": page_id(key, n)}) for n in range(first, first + READ_AHEAD))
        )
        for document in documents:
            if document:
                entries.extend(AuditEntry.model_validate(raw) for raw in document["entries"])
        if not all(documents):
            return entries
        first += READ_AHEAD


async def search(*, db: Database, query: AuditQuery) -> list[AuditEntry]:
    """Entries matching the query, newest first (the previous layout's entries included)."""
    paged, legacy = await asyncio.gather(
        read_index(db=db, key=query_index_key(query)), read_legacy(db=db, query=query)
    )
    unique = {entry.entry_id: entry for entry in [*legacy, *paged] if matches(entry, query)}
    return sorted(unique.values(), key=lambda e: e.at, reverse=True)
