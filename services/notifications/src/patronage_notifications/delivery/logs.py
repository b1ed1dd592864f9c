"""Append-only logs of notification ids (per family, per staff recipient), by ``_id`` only.

A log is a run of page documents ``<key>#0``, ``<key>#1``, … each written once by an
insert (FerretDB inserts thousands of documents per second in one batch, but updates
documents one by one at a few hundred per second). A writer claims the next page by
inserting it: a duplicate key means another writer took it, so it tries the next one.
A log this writer does not know yet is assumed new: its page 0 is inserted without
reading first, and only a duplicate key sends the writer to look for the log's last page.
A reader finds the last page by probing ``_id``s (exponential then binary search) and reads
backwards. No page grows after it is written, and nothing scans the collection.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from patronage_common.store import Database, Document
from pymongo.errors import BulkWriteError

LOGS = "delivery_logs"
DUPLICATE_KEY = 11000
WRITE_ROUNDS = 8
CACHE_SIZE = 100_000


def family_log(family_id: str) -> str:
    """Key of a family's delivery log (every notification about the family)."""
    return f"family:{family_id}"


def recipient_log(role: str, recipient_id: str) -> str:
    """Key of a staff recipient's inbox."""
    return f"recipient:{role}:{recipient_id}"


class PagedLogs:
    """Appends to and reads page-document logs, remembering each log's next page."""

    def __init__(self) -> None:
        self._next: OrderedDict[str, int] = OrderedDict()
        # One append at a time in a process: two at once (batches of two topics' consumers,
        # the scheduler) would both claim the next page of a staff log they share, and one
        # would collide and read.
        self._appending = asyncio.Lock()

    async def _exists(self, db: Database, key: str, page: int) -> bool:
        return await db[LOGS].find_one({"_id": f"{key}#{page}"}, {"_id": 1}) is not None

    async def last_page(self, db: Database, key: str) -> int:
        """Number of the log's last page, -1 if the log is empty."""
        if not await self._exists(db, key, 0):
            return -1
        low, high = 0, 1
        while await self._exists(db, key, high):
            low, high = high, high * 2
        while high - low > 1:  # low exists, high does not
            middle = (low + high) // 2
            if await self._exists(db, key, middle):
                low = middle
            else:
                high = middle
        return low

    async def _next_pages(
        self, db: Database, keys: Sequence[str], taken: AbstractSet[str]
    ) -> list[int]:
        """Next page of each log to try inserting.

        Remembered logs at once; a log not remembered is assumed new (page 0, no read)
        unless its page was already found ``taken`` by another writer: then its last page
        is probed, those logs concurrently.
        """
        pages = [self._next.get(key, -1 if key in taken else 0) for key in keys]
        unknown = [i for i, page in enumerate(pages) if page < 0]
        probed = await asyncio.gather(*(self.last_page(db, keys[i]) for i in unknown))
        for index, page in zip(unknown, probed, strict=True):
            pages[index] = page + 1
        return pages

    def _remember(self, key: str, page: int) -> None:
        self._next[key] = page
        self._next.move_to_end(key)
        while len(self._next) > CACHE_SIZE:
            self._next.popitem(last=False)

    async def append(
        self, *, db: Database, entries: Mapping[str, Sequence[str]], at: datetime
    ) -> None:
        """Append ids to logs: one new page per log, all pages in one batch insert."""
        async with self._appending:
            await self._append(db=db, entries=entries, at=at)

    async def _append(
        self, *, db: Database, entries: Mapping[str, Sequence[str]], at: datetime
    ) -> None:
        pending = {key: list(ids) for key, ids in entries.items() if ids}
        collided: set[str] = set()  # logs whose page another writer had: probe them
        for _ in range(WRITE_ROUNDS):
            if not pending:
                return
            keys = list(pending)
            pages = await self._next_pages(db, keys, collided)
            documents: list[Document] = [
                {"_id": f"{k}#{p}", "ids": pending[k], "at": at}
                for k, p in zip(keys, pages, strict=True)
            ]
            taken: set[int] = set()
            try:
                await db[LOGS].insert_many(documents, ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    for key in keys:
                        self._next.pop(key, None)
                    raise
                taken = {e["index"] for e in errors}
            for index, (key, page) in enumerate(zip(keys, pages, strict=True)):
                if index in taken:
                    self._next.pop(key, None)  # another writer got there: look again
                    collided.add(key)
                else:
                    self._remember(key, page + 1)
                    del pending[key]
        raise RuntimeError(f"could not append to logs {sorted(pending)[:5]}")

    async def newest(self, *, db: Database, key: str, limit: int) -> list[str]:
        """The log's newest ids, newest first."""
        found: list[str] = []
        page = await self.last_page(db, key)
        while page >= 0 and len(found) < limit:
            document = await db[LOGS].find_one({"_id": f"{key}#{page}"})
            found.extend(reversed((document or {}).get("ids") or []))
            page -= 1
        return list(dict.fromkeys(found))[:limit]
