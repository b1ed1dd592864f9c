"""Posting documents of the search index (every access by ``_id``)."""

from patronage_common.store import Database, Document, upsert_one

POSTINGS = "search_postings"
COUNTS = "search_counts"
STATE = "search_state"


async def add_entry(*, db: Database, key: str, bucket: str, entry: str) -> None:
    """Put a passport's entry into a key's bucket (and count it if it is new)."""
    result = await upsert_one(
        db[POSTINGS], {"_id": f"{key}|{bucket}"}, {"$addToSet": {"entries": entry}}
    )
    if result.modified_count or result.upserted_id is not None:
        await upsert_one(
            db[COUNTS], {"_id": key}, {"$inc": {"count": 1}, "$addToSet": {"buckets": bucket}}
        )


async def remove_entry(*, db: Database, key: str, bucket: str, entry: str) -> None:
    """Take a passport's entry out of a key's bucket."""
    result = await db[POSTINGS].update_one(
        {"_id": f"{key}|{bucket}"}, {"$pull": {"entries": entry}}
    )
    if result.modified_count:
        await upsert_one(db[COUNTS], {"_id": key}, {"$inc": {"count": -1}})


async def bucket_entries(*, db: Database, key: str, bucket: str) -> list[str]:
    """Entries of one bucket of a key."""
    document = await db[POSTINGS].find_one({"_id": f"{key}|{bucket}"})
    return list(document["entries"]) if document else []


async def key_summary(*, db: Database, key: str) -> tuple[int, list[str]]:
    """How many passports a key finds, and which of its buckets may hold entries."""
    document = await db[COUNTS].find_one({"_id": key})
    if document is None:
        return 0, []
    return int(document["count"]), sorted(document.get("buckets", []))


async def get_state(*, db: Database, family_id: str) -> Document | None:
    """What the index holds for a family: its entry and keys."""
    return await db[STATE].find_one({"_id": family_id})


async def save_state(*, db: Database, family_id: str, state: Document) -> None:
    """Remember what the index holds for a family: entry, keys, version, result line."""
    await db[STATE].replace_one({"_id": family_id}, state, upsert=True)
