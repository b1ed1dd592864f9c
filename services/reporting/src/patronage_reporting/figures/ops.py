"""Changes to figure documents, collected and merged before they are written.

A projection does not write: it returns ``Changes`` (increments, fields set and fields
removed, per document ``_id``). The live consumer writes one event's changes in one bulk
request; the replay merges the changes of a whole batch first, so a counter touched by ten
thousand events costs one ``$inc``.
"""

import asyncio
import itertools
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from patronage_common.store import Collection
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

_REMOVED = object()


@dataclass
class DocumentChange:
    """What happens to one document: ``$inc`` and ``$set``/``$unset`` by field path."""

    inc: dict[str, int] = field(default_factory=dict)
    put: dict[str, Any] = field(default_factory=dict)

    def update(self) -> dict[str, Any] | None:
        """The Mongo update document, or None when nothing changes."""
        update: dict[str, Any] = {}
        # Zero increments are kept: a field touched by any event exists (maybe as 0),
        # whether its events were written one by one (live) or merged (replay).
        if self.inc:
            update["$inc"] = dict(self.inc)
        sets = {path: v for path, v in self.put.items() if v is not _REMOVED}
        unsets = {path: "" for path, v in self.put.items() if v is _REMOVED}
        if sets:
            update["$set"] = sets
        if unsets:
            update["$unset"] = unsets
        return update or None


class Changes:
    """Changes to many figure documents; later changes of a field win, increments add up.

    Kept flat, by (document ``_id``, field path): the replay merges millions of them. The
    same counter of several documents (a fact counted in its district, HQ and region, for
    all categories and its own) is kept as one entry under the tuple of ``_id``s and spread
    over the documents only when the changes are read: the fold does one addition, not ten.
    """

    def __init__(self) -> None:
        self._increments: dict[tuple[str, str], int] = {}
        self._spread: dict[tuple[tuple[str, ...], str], int] = {}
        self.puts: dict[tuple[str, str], Any] = {}

    @property
    def increments(self) -> dict[tuple[str, str], int]:
        """Every increment by (document ``_id``, field path)."""
        if self._spread:
            increments = self._increments
            for (doc_ids, path), n in self._spread.items():
                for doc_id in doc_ids:
                    key = (doc_id, path)
                    increments[key] = increments.get(key, 0) + n
            self._spread = {}
        return self._increments

    def inc(self, doc_id: str, path: str, n: int = 1) -> None:
        """Add ``n`` to a counter."""
        key = (doc_id, path)
        self._increments[key] = self._increments.get(key, 0) + n

    def inc_all(self, doc_ids: tuple[str, ...], path: str, n: int = 1) -> None:
        """Add ``n`` to the same counter of several documents."""
        key = (doc_ids, path)
        self._spread[key] = self._spread.get(key, 0) + n

    def put(self, doc_id: str, path: str, value: Any) -> None:
        """Set a field."""
        self.puts[(doc_id, path)] = value

    def remove(self, doc_id: str, path: str) -> None:
        """Remove a field."""
        self.puts[(doc_id, path)] = _REMOVED

    def merge(self, other: "Changes") -> None:
        """Add another set of changes after these."""
        spread = self._spread
        for many, n in other._spread.items():
            spread[many] = spread.get(many, 0) + n
        increments = self._increments
        for key, n in other._increments.items():
            increments[key] = increments.get(key, 0) + n
        self.puts.update(other.puts)

    @property
    def documents(self) -> dict[str, DocumentChange]:
        """The changes grouped by document."""
        documents: dict[str, DocumentChange] = {}
        for (doc_id, path), n in self.increments.items():
            documents.setdefault(doc_id, DocumentChange()).inc[path] = n
        for (doc_id, path), value in self.puts.items():
            documents.setdefault(doc_id, DocumentChange()).put[path] = value
        return documents

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The updates by document ``_id`` (for tests and logs)."""
        return {
            doc_id: update
            for doc_id, change in self.documents.items()
            if (update := change.update()) is not None
        }

    def __len__(self) -> int:
        return len({doc_id for doc_id, _ in self.increments} | {d for d, _ in self.puts})

    def split(self, written: set[str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """These changes as new documents (``_id`` not in ``written``) and as updates (in it).

        Applying both (inserting the new ones, updating the others by ``_id``) has the same
        effect as upserting every change. Built in one pass over the flat and the spread
        entries (the replay's flush: millions of them), without expanding them first.
        """
        fresh: dict[str, dict[str, Any]] = {}
        incs: dict[str, dict[str, int]] = {}
        # The entries are grouped by tuple of documents first, each path split once: the
        # work per (document, field) pair is then a walk down its parents and one addition.
        by_ids: dict[tuple[str, ...], list[tuple[str, tuple[str, ...], str, int]]] = {}
        split_paths: dict[str, tuple[tuple[str, ...], str]] = {}
        for doc_ids, path, n in itertools.chain(
            ((doc_ids, path, n) for (doc_ids, path), n in self._spread.items()),
            (((doc_id,), path, n) for (doc_id, path), n in self._increments.items()),
        ):
            entries = by_ids.get(doc_ids)
            if entries is None:
                entries = by_ids[doc_ids] = []
            parts = split_paths.get(path)
            if parts is None:
                every = _parts(path)
                parts = split_paths[path] = (every[:-1], every[-1])
            entries.append((path, parts[0], parts[1], n))
        for doc_ids, entries in by_ids.items():
            for doc_id in doc_ids:
                if doc_id in written:
                    inc = incs.get(doc_id)
                    if inc is None:
                        inc = incs[doc_id] = {}
                    for path, _, _, n in entries:
                        inc[path] = inc.get(path, 0) + n
                    continue
                root = fresh.get(doc_id)
                if root is None:
                    root = fresh[doc_id] = {"_id": doc_id}
                for _, parents, leaf, n in entries:
                    document = root
                    for part in parents:
                        parent = document.get(part)
                        if parent is None:
                            parent = document[part] = {}
                        document = parent
                    document[leaf] = document.get(leaf, 0) + n
        updates: dict[str, dict[str, Any]] = {doc_id: {"$inc": inc} for doc_id, inc in incs.items()}
        for (doc_id, path), value in self.puts.items():
            if doc_id in written:
                update = updates.setdefault(doc_id, {})
                if value is _REMOVED:
                    update.setdefault("$unset", {})[path] = ""
                else:
                    update.setdefault("$set", {})[path] = value
                continue
            document = fresh.setdefault(doc_id, {"_id": doc_id})
            *names, leaf = _parts(path)
            for part in names:
                parent = document.get(part)
                if parent is None:
                    parent = document[part] = {}
                document = parent
            if value is not _REMOVED:
                document[leaf] = value
        return list(fresh.values()), updates

    def as_new_documents(self) -> list[dict[str, Any]]:
        """The documents these changes would create in an empty collection, as upserts would.

        A removed field leaves its parent (maybe empty), like ``$unset`` does.
        """
        return self.split(set())[0]


def month_of(doc_id: str) -> str | None:
    """``YYYY-MM`` of a day, decade or month figure document; None for any other document.

    Cheap (the replay asks it for every change): ``day:2026-01-05|…``, ``dec:2026-01-1|…``,
    ``month:2026-01|…``.
    """
    if doc_id.startswith(("day:", "dec:")):
        return doc_id[4:11]
    if doc_id.startswith("month:"):
        return doc_id[6:13]
    return None


class DatedIds(tuple[str, ...]):
    """``_id``s of figure documents all of one month, which they carry (``YYYY-MM``).

    A projection that builds the tuple knows its month; ``MonthBuckets`` then takes it as
    it is instead of looking the tuple up (hashing every ``_id``) at every change.
    """

    month: str

    def __new__(cls, doc_ids: Iterable[str], month: str) -> "DatedIds":
        dated = super().__new__(cls, doc_ids)
        dated.month = month
        return dated


def _common_month(doc_ids: tuple[str, ...]) -> str | None:
    """The month of all these documents, ``""`` if none has one, None if they differ."""
    months = {month_of(doc_id) or "" for doc_id in doc_ids}
    return months.pop() if len(months) == 1 else None


class MonthBuckets(Changes):
    """Changes kept apart by the month of their figure document (the replay's hold).

    Every document's changes live in exactly one bucket: its month's, or the undated one
    (live, curators, coverage, overdue lists). A counter kept for several documents at once
    goes whole to a month when all of them are of that month — the projections' tuples are
    one day's day, decade and month documents — and is spread by document otherwise. A past
    month is then taken whole (``pop_before``) instead of being looked for among all changes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.months: dict[str, Changes] = {}
        # The month shared by a tuple of documents (``""``: none, ``None``: mixed), found
        # once per tuple: the fold passes the same few thousand tuples millions of times.
        self._tuple_months: dict[tuple[str, ...], str | None] = {}

    def _bucket(self, month: str) -> Changes:
        bucket = self.months.get(month)
        if bucket is None:
            bucket = self.months[month] = Changes()
        return bucket

    def inc(self, doc_id: str, path: str, n: int = 1) -> None:
        month = month_of(doc_id)
        if month is None:
            super().inc(doc_id, path, n)
        else:
            self._bucket(month).inc(doc_id, path, n)

    def inc_all(self, doc_ids: tuple[str, ...], path: str, n: int = 1) -> None:
        if type(doc_ids) is DatedIds:
            month: str | None = doc_ids.month
        else:
            try:
                month = self._tuple_months[doc_ids]
            except KeyError:
                month = self._tuple_months[doc_ids] = _common_month(doc_ids)
        if month:
            bucket = self.months.get(month)
            if bucket is None:
                bucket = self.months[month] = Changes()
            bucket.inc_all(doc_ids, path, n)
        elif month is None:
            for doc_id in doc_ids:
                self.inc(doc_id, path, n)
        else:
            super().inc_all(doc_ids, path, n)

    def put(self, doc_id: str, path: str, value: Any) -> None:
        month = month_of(doc_id)
        if month is None:
            super().put(doc_id, path, value)
        else:
            self._bucket(month).put(doc_id, path, value)

    def remove(self, doc_id: str, path: str) -> None:
        month = month_of(doc_id)
        if month is None:
            super().remove(doc_id, path)
        else:
            self._bucket(month).remove(doc_id, path)

    def pop_before(self, month: str) -> list[Changes]:
        """Take out the buckets of the months before ``month`` (``YYYY-MM``)."""
        past = sorted(m for m in self.months if m < month)
        return [self.months.pop(m) for m in past]

    def parts(self) -> list[Changes]:
        """Every bucket: this object itself first, whose inherited reading methods
        (``split``, ``as_dict``, …) see the undated changes only, then each month's."""
        return [self, *self.months.values()]


@lru_cache(maxsize=65536)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


BULK_CHUNK = 50
"""Statements per bulk update: FerretDB 1.24 never answers an ``update`` of 100 or more."""
DUPLICATE_KEY = 11000
UPSERT_ATTEMPTS = 3


_WRITE_LOCKS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
    weakref.WeakKeyDictionary()
)


def _write_lock() -> asyncio.Lock:
    """One figure writer at a time in this process (per event loop)."""
    loop = asyncio.get_running_loop()
    lock = _WRITE_LOCKS.get(loop)
    if lock is None:
        lock = _WRITE_LOCKS[loop] = asyncio.Lock()
    return lock


async def write_changes(collection: Collection, changes: Changes) -> int:
    """Apply the changes with unordered bulk upserts by ``_id``; return documents written.

    Figure documents are shared by many entities (a curator's counters by all their
    families and requests, a district's by all of its), and FerretDB v1 loses one of two
    concurrent updates of one document — ``$inc`` included (seen: a closed need's -1 lost
    when the passport and requests consumers wrote one curator document at once). So the
    consumers of this process write figures one change set at a time.
    """
    operations = [
        UpdateOne({"_id": doc_id}, update, upsert=True)
        for doc_id, update in changes.as_dict().items()
    ]
    async with _write_lock():
        for start in range(0, len(operations), BULK_CHUNK):
            await _bulk_upsert(collection, operations[start : start + BULK_CHUNK])
    return len(operations)


async def _bulk_upsert(collection: Collection, operations: list[UpdateOne]) -> None:
    """Write unordered; redo only the upserts that lost a race to create their document."""
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            await collection.bulk_write(operations, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if attempt == UPSERT_ATTEMPTS - 1 or any(
                e.get("code") != DUPLICATE_KEY for e in errors
            ):
                raise
            # The other operations were applied; only the duplicate-key losers are redone.
            operations = [operations[e["index"]] for e in errors]
