"""Documents of the search index, every access by ``_id``.

Three levels per key: ``search_counts`` (``_id = key``: how many passports, which groups),
``search_groups`` (``_id = "key|group"``: the leaves of a two-letter group) and
``search_postings`` (``_id = "key|leaf"``: the postings of one leaf, ``lines`` by family id,
each its entry and result line packed in a string; a leaf is the surname and initial for
the large and the name keys, two letters for the others, whose leaf is its own group).
Every document stays small, which is what FerretDB reads and rewrites fast: a page holds
a few hundred postings at most.
"""

from patronage_common.store import Collection, Database, Document
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from .keys import family_of, group_of, is_fine, leaf_for
from .lines import unpack

POSTINGS = "search_postings"
GROUPS = "search_groups"
COUNTS = "search_counts"
STATE = "search_state"


FORMAT = 3
"""Posting pages hold ``lines`` (family id → posting); format 1 held bare ``entries``.

Format 3 splits district and HQ keys into surname-and-initial leaves (formats 1 and 2 had
two-letter ones): an index of an earlier format answers district and HQ searches only for
the families reindexed since; the service reindexes the others when it starts
(``flows.reindex_earlier_formats``), or ``search.rebuild`` converts all at once.
"""

BULK_LIMIT = 50
"""FerretDB never answers an ``update`` of 100 statements or more: stay well below."""


def page_id(key: str, entry: str, index_format: int | None = None) -> str:
    """``_id`` of the posting page of ``key`` that holds ``entry`` (in ``index_format``)."""
    return f"{key}|{leaf_for(key, entry, index_format)}"


async def move_postings(
    *,
    db: Database,
    family_id: str,
    taken_out: list[str],
    put_in: dict[str, str],
    legacy_entries: dict[str, str],
    new_leaves: list[tuple[str, str]],
    count_changes: dict[str, tuple[int, str | None]],
) -> None:
    """Change one family's postings, a few round trips whatever its number of keys.

    ``taken_out`` pages lose the family's posting, ``put_in`` pages get it (page id →
    packed posting), ``legacy_entries`` pages lose a format-1 entry; ``new_leaves`` (key, leaf)
    are registered in their group; ``count_changes`` adds to a key's count and registers a
    group. One statement per page, so no bulk upserts one ``_id`` twice.
    """
    field = f"lines.{family_id}"
    operations = []
    for page in dict.fromkeys([*taken_out, *put_in, *legacy_entries]):
        update: Document = {}
        if page in put_in:
            update["$set"] = {field: put_in[page]}
        elif page in taken_out:
            update["$unset"] = {field: ""}
        if page in legacy_entries:
            update["$pullAll"] = {"entries": [legacy_entries[page]]}
        operations.append(UpdateOne({"_id": page}, update, upsert=page in put_in))
    await _bulk(db[POSTINGS], operations)
    await _bulk(
        db[GROUPS],
        [
            UpdateOne(
                {"_id": f"{k}|{group_of(leaf)}"}, {"$addToSet": {"leaves": leaf}}, upsert=True
            )
            for k, leaf in dict.fromkeys(new_leaves)
            if is_fine(k)  # a two-letter leaf is its own group
        ],
    )
    counts = []
    for key, (delta, group) in count_changes.items():
        update = {"$inc": {"count": delta}}
        if group is not None:
            update["$addToSet"] = {"groups": group}
        counts.append(UpdateOne({"_id": key}, update, upsert=group is not None))
    await _bulk(db[COUNTS], counts)


async def _bulk(collection: Collection, operations: list[UpdateOne]) -> None:
    """Run updates in as few round trips as FerretDB takes (``BULK_LIMIT`` statements each).

    Two writers creating the same new document race: the loser's duplicate-key failures
    are simply run again, as updates of the document that now exists.
    """
    for start in range(0, len(operations), BULK_LIMIT):
        chunk = operations[start : start + BULK_LIMIT]
        try:
            await collection.bulk_write(chunk, ordered=False)
        except BulkWriteError as exc:
            failed = {e["index"] for e in exc.details["writeErrors"] if e.get("code") == 11000}
            if len(failed) != len(exc.details["writeErrors"]):
                raise
            await collection.bulk_write([chunk[i] for i in sorted(failed)], ordered=False)


async def leaf_postings(
    *, db: Database, key: str, leaf: str
) -> list[tuple[str, str, Document | None]]:
    """``(entry, family id, posting)`` of one leaf of a key, in no order.

    A format-1 entry (a page not yet rebuilt) comes without its posting.
    """
    document = await db[POSTINGS].find_one({"_id": f"{key}|{leaf}"})
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
    document = await db[GROUPS].find_one({"_id": f"{key}|{group}"})
    return sorted(document["leaves"]) if document else []


async def key_summary(*, db: Database, key: str) -> tuple[int, list[str]]:
    """How many passports a key finds, and which groups of leaves it has, sorted."""
    document = await db[COUNTS].find_one({"_id": key})
    if document is None:
        return 0, []
    return int(document["count"]), sorted(document.get("groups", []))


async def get_state(*, db: Database, family_id: str) -> Document | None:
    """What the index holds for a family: its entry and keys."""
    return await db[STATE].find_one({"_id": family_id})


async def save_state(*, db: Database, family_id: str, state: Document) -> None:
    """Remember what the index holds for a family: entry, keys, version, result line."""
    await db[STATE].replace_one({"_id": family_id}, state, upsert=True)
