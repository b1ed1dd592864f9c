"""Documents of the search index, every access by ``_id``.

Three levels per key: ``search_counts`` (``_id = key``: how many passports, which groups),
``search_groups`` (``_id = "key|group"``: the leaves of a two-letter group) and
``search_postings`` (``_id = "key|leaf"``: the entries of one leaf: surname and initial for
the large and the name keys, two letters for the others, whose leaf is its own group).
Every document stays small, which is what FerretDB reads and rewrites fast.
"""

from patronage_common.store import Database, Document, upsert_one

from .keys import group_of, is_fine, leaf_for

POSTINGS = "search_postings"
GROUPS = "search_groups"
COUNTS = "search_counts"
STATE = "search_state"


async def add_entry(*, db: Database, key: str, entry: str) -> None:
    """Put a passport's entry into its leaf of a key (registering a new leaf, counting it)."""
    leaf = leaf_for(key, entry)
    group = group_of(leaf)
    result = await upsert_one(
        db[POSTINGS], {"_id": f"{key}|{leaf}"}, {"$addToSet": {"entries": entry}}
    )
    if result.upserted_id is not None and is_fine(key):  # a two-letter leaf is its group
        await upsert_one(db[GROUPS], {"_id": f"{key}|{group}"}, {"$addToSet": {"leaves": leaf}})
    if result.modified_count or result.upserted_id is not None:
        await upsert_one(
            db[COUNTS], {"_id": key}, {"$inc": {"count": 1}, "$addToSet": {"groups": group}}
        )


async def remove_entry(*, db: Database, key: str, entry: str) -> None:
    """Take a passport's entry out of its leaf of a key."""
    result = await db[POSTINGS].update_one(
        {"_id": f"{key}|{leaf_for(key, entry)}"}, {"$pullAll": {"entries": [entry]}}
    )
    if result.modified_count:
        await upsert_one(db[COUNTS], {"_id": key}, {"$inc": {"count": -1}})


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
