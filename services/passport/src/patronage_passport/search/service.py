"""Documents of the search index, every access by ``_id``.

Three levels per key: ``search_counts`` (``_id = key``: how many passports, which groups),
``search_groups`` (``_id = "key|group"``: the leaves of a two-letter group) and
``search_postings`` (``_id = "key|leaf"``: the postings of one leaf, ``lines`` by family id,
each its entry and result line packed in a string; a leaf is the surname and initial for
the large and the name keys, two letters for the others, whose leaf is its own group).
Every document stays small, which is what FerretDB reads and rewrites fast: a page holds
a few hundred postings at most.
"""

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from patronage_common.foreground import Pace
from patronage_common.store import Collection, Database, Document
from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from .keys import family_of, group_of, is_fine, leaf_for
from .lines import unpack

POSTINGS = "search_postings"
GROUPS = "search_groups"
COUNTS = "search_counts"
STATE = "search_state"
INDEX_DATABASE_SUFFIX = "_search"


def index_db(db: Database) -> Database:
    """The search index's own database, beside the passports' (named after it).

    FerretDB's SQLite backend keeps each database in a file of its own, each with its own
    one writer: the index's page rewrites (a few hundred KB each) no longer hold the writer
    that passport creates and changes wait for in SQLite's busy handler.
    """
    return db.client[f"{db.name}{INDEX_DATABASE_SUFFIX}"]


FORMAT = 3
"""Posting pages hold ``lines`` (family id → posting); format 1 held bare ``entries``.

Format 3 splits district and HQ keys into surname-and-initial leaves (formats 1 and 2 had
two-letter ones): an index of an earlier format answers district and HQ searches only for
the families reindexed since; the service reindexes the others when it starts
(``flows.reindex_earlier_formats``), or ``search.rebuild`` converts all at once.
"""

BULK_LIMIT = 50
"""FerretDB never answers an ``update`` of 100 statements or more: stay well below."""

PACED_BULK_LIMIT = 10
"""Statements a round trip when the writes are paced: each costs the store ~1 ms of CPU at
100k passports, so a round trip of 50 held a core for tens of milliseconds at a time."""


def page_id(key: str, entry: str, index_format: int | None = None) -> str:
    """``_id`` of the posting page of ``key`` that holds ``entry`` (in ``index_format``)."""
    return f"{key}|{leaf_for(key, entry, index_format)}"


@dataclass
class IndexChanges:
    """What reindexing some families changes, merged so each document is written once.

    ``put_in`` pages get postings (page → family id → packed posting), ``taken_out`` pages
    lose families' postings, ``legacy_entries`` pages lose format-1 entries; ``new_leaves``
    are registered in their groups (by group ``_id``); ``counts`` add to a key's count and
    register groups.
    """

    put_in: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    taken_out: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    legacy_entries: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    new_leaves: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    counts: dict[str, tuple[int, set[str]]] = field(default_factory=dict)

    def add_leaf(self, key: str, leaf: str) -> None:
        """Register ``leaf`` in its group (a two-letter leaf is its own group: nothing)."""
        if is_fine(key):
            self.new_leaves[f"{key}|{group_of(leaf)}"].add(leaf)

    def count(self, key: str, delta: int, group: str | None) -> None:
        """Add ``delta`` to the count of ``key`` and register ``group`` in it."""
        total, groups = self.counts.get(key, (0, set()))
        self.counts[key] = (total + delta, groups | ({group} if group is not None else set()))


async def apply_changes(*, db: Database, changes: IndexChanges, pace: Pace | None = None) -> None:
    """Write merged index changes: one statement per page, group and count.

    So no bulk upserts one ``_id`` twice, and a page several families share is rewritten
    once; a few round trips whatever the number of families and keys (``pace``: smaller
    ones, each followed by it).
    """
    operations = []
    pages = dict.fromkeys([*changes.put_in, *changes.taken_out, *changes.legacy_entries])
    for page in pages:
        update: Document = {}
        put = changes.put_in.get(page) or {}
        if put:
            update["$set"] = {f"lines.{f}": packed for f, packed in put.items()}
        out = [f for f in sorted(changes.taken_out.get(page) or ()) if f not in put]
        if out:
            update["$unset"] = {f"lines.{f}": "" for f in out}
        if changes.legacy_entries.get(page):
            update["$pullAll"] = {"entries": changes.legacy_entries[page]}
        if update:
            operations.append(UpdateOne({"_id": page}, update, upsert=bool(put)))
    await _bulk(index_db(db)[POSTINGS], operations, pace)
    await _bulk(
        index_db(db)[GROUPS],
        [
            UpdateOne({"_id": group}, {"$addToSet": {"leaves": {"$each": sorted(leaves)}}}, True)
            for group, leaves in changes.new_leaves.items()
        ],
        pace,
    )
    counts = []
    for key, (delta, groups) in changes.counts.items():
        update = {"$inc": {"count": delta}} if delta else {}
        if groups:
            update["$addToSet"] = {"groups": {"$each": sorted(groups)}}
        if update:
            counts.append(UpdateOne({"_id": key}, update, upsert=bool(groups)))
    await _bulk(index_db(db)[COUNTS], counts, pace)


async def _bulk(
    collection: Collection,
    operations: Sequence[UpdateOne | ReplaceOne[Document]],
    pace: Pace | None = None,
) -> None:
    """Run updates in as few round trips as FerretDB takes (``BULK_LIMIT`` statements each;
    with ``pace``, ``PACED_BULK_LIMIT`` each, and ``pace`` awaited after every one).

    Two writers creating the same new document race: the loser's duplicate-key failures
    are simply run again, as updates of the document that now exists.
    """
    size = BULK_LIMIT if pace is None else PACED_BULK_LIMIT
    for start in range(0, len(operations), size):
        chunk = operations[start : start + size]
        began = time.perf_counter()
        try:
            await collection.bulk_write(chunk, ordered=False)
        except BulkWriteError as exc:
            failed = {e["index"] for e in exc.details["writeErrors"] if e.get("code") == 11000}
            if len(failed) != len(exc.details["writeErrors"]):
                raise
            await collection.bulk_write([chunk[i] for i in sorted(failed)], ordered=False)
        if pace is not None:
            await pace(time.perf_counter() - began)


async def leaf_postings(
    *, db: Database, key: str, leaf: str
) -> list[tuple[str, str, Document | None]]:
    """``(entry, family id, posting)`` of one leaf of a key, in no order.

    A format-1 entry (a page not yet rebuilt) comes without its posting.
    """
    document = await index_db(db)[POSTINGS].find_one({"_id": f"{key}|{leaf}"})
    if document is None:
        return []
    lines: dict[str, str] = document.get("lines") or {}
    found = []
    for family_id, packed in lines.items():
        posting = unpack(family_id, packed)
        found.append((posting["entry"], family_id, posting))
    legacy: list[tuple[str, str, Document | None]] = [
        (entry, family_of(entry), None)
        for entry in document.get("entries") or []
        if family_of(entry) not in lines
    ]
    return [*found, *legacy]


async def group_leaves(*, db: Database, key: str, group: str) -> list[str]:
    """Leaves of a key within one group, sorted."""
    document = await index_db(db)[GROUPS].find_one({"_id": f"{key}|{group}"})
    return sorted(document["leaves"]) if document else []


async def key_summary(*, db: Database, key: str) -> tuple[int, list[str]]:
    """How many passports a key finds, and which groups of leaves it has, sorted."""
    document = await index_db(db)[COUNTS].find_one({"_id": key})
    if document is None:
        return 0, []
    return int(document["count"]), sorted(document.get("groups", []))


async def get_state(*, db: Database, family_id: str) -> Document | None:
    """What the index holds for a family: its entry and keys."""
    return await index_db(db)[STATE].find_one({"_id": family_id})


async def save_states(
    *, db: Database, states: dict[str, Document], pace: Pace | None = None
) -> None:
    """Remember what the index holds for families: entry, keys, version, posting."""
    await _bulk(
        index_db(db)[STATE],
        [ReplaceOne({"_id": f}, state, upsert=True) for f, state in states.items()],
        pace,
    )
