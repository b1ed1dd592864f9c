"""Documents of the search index, every access by ``_id``.

Three levels per key: ``search_counts`` (``_id = key``: how many passports, which groups),
``search_groups`` (``_id = "key|group"``: the leaves of a two-letter group) and
``search_postings`` (``_id = "key|leaf"``: the entries of one leaf: surname and initial for
the large and the name keys, two letters for the others, whose leaf is its own group).
Every document stays small, which is what FerretDB reads and rewrites fast.
"""

from patronage_common.store import Collection, Database, Document
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from .keys import group_of, is_fine, leaf_for

POSTINGS = "search_postings"
GROUPS = "search_groups"
COUNTS = "search_counts"
STATE = "search_state"


async def move_entries(
    *, db: Database, removed: list[tuple[str, str]], added: list[tuple[str, str]]
) -> None:
    """Take ``(key, entry)`` pairs out of their leaves and put others in: few round trips.

    Counts follow the pairs (the caller passes a family's changes once, from its index
    state); new leaves of fine keys are registered in their group.
    """
    if not removed and not added:
        return
    operations = [
        UpdateOne({"_id": f"{k}|{leaf_for(k, e)}"}, {"$pullAll": {"entries": [e]}})
        for k, e in removed
    ] + [
        UpdateOne({"_id": f"{k}|{leaf_for(k, e)}"}, {"$addToSet": {"entries": e}}, upsert=True)
        for k, e in added
    ]
    upserted = await _bulk(db[POSTINGS], operations)
    new_leaves = [added[i - len(removed)] for i in upserted if i >= len(removed)]
    groups = [
        UpdateOne(
            {"_id": f"{k}|{group_of(leaf_for(k, e))}"},
            {"$addToSet": {"leaves": leaf_for(k, e)}},
            upsert=True,
        )
        for k, e in new_leaves
        if is_fine(k)  # a two-letter leaf is its own group
    ]
    await _bulk(db[GROUPS], groups)
    delta: dict[str, int] = {}
    for k, _ in removed:
        delta[k] = delta.get(k, 0) - 1
    for k, _ in added:
        delta[k] = delta.get(k, 0) + 1
    counts = [
        UpdateOne(
            {"_id": k},
            {"$inc": {"count": delta.get(k, 0)}, "$addToSet": {"groups": group_of(leaf_for(k, e))}},
            upsert=True,
        )
        for k, e in added
    ] + [UpdateOne({"_id": k}, {"$inc": {"count": d}}) for k, d in delta.items() if d < 0]
    await _bulk(db[COUNTS], counts)


async def _bulk(collection: Collection, operations: list[UpdateOne]) -> list[int]:
    """Run updates in one round trip; return the positions that created their document.

    Two writers creating the same new document race: the loser's duplicate-key failures
    are simply run again, as updates of the document that now exists.
    """
    if not operations:
        return []
    try:
        result = await collection.bulk_write(operations, ordered=False)
        return sorted(result.upserted_ids or {})
    except BulkWriteError as exc:
        failed = {e["index"] for e in exc.details["writeErrors"] if e.get("code") == 11000}
        if len(failed) != len(exc.details["writeErrors"]):
            raise
        created = [u["index"] for u in exc.details.get("upserted", [])]
        await collection.bulk_write([operations[i] for i in sorted(failed)], ordered=False)
        return sorted(created)


async def leaf_entries(*, db: Database, key: str, leaf: str) -> list[str]:
    """Entries of one leaf of a key."""
    document = await db[POSTINGS].find_one({"_id": f"{key}|{leaf}"})
    return list(document["entries"]) if document else []


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
