"""Data access for passports: current documents, immutable versions, identity keys.

Every look-up here is by ``_id`` (FerretDB v1 pushes only that down to SQL).
"""

from uuid import UUID

from patronage_common.store import Database, Document
from pymongo.errors import BulkWriteError

PASSPORTS = "passports"
VERSIONS = "passport_versions"
KEYS = "passport_keys"


async def get_document(*, db: Database, family_id: UUID | str) -> Document | None:
    """The current stored passport (sensitive fields still sealed), or None."""
    return await db[PASSPORTS].find_one({"_id": str(family_id)}, {"outbox": 0})


def version_id(family_id: UUID | str, version: int) -> str:
    """``_id`` of one stored version of a passport."""
    return f"{family_id}:{version:06d}"


async def get_version(*, db: Database, family_id: UUID | str, version: int) -> Document | None:
    """One immutable version of a passport, or None."""
    return await db[VERSIONS].find_one({"_id": version_id(family_id, version)})


async def get_version_changes(
    *, db: Database, family_id: UUID | str, version: int
) -> list[Document]:
    """The field changes a stored version made (empty for versions stored before they were kept)."""
    document = await db[VERSIONS].find_one(
        {"_id": version_id(family_id, version)}, {"snapshot.changes": 1}
    )
    return list(((document or {}).get("snapshot") or {}).get("changes") or [])


async def save_version(
    *, db: Database, family_id: UUID | str, version: int, snapshot: Document, meta: Document
) -> None:
    """Store the snapshot of a version (an earlier, unfinished attempt is overwritten)."""
    await db[VERSIONS].replace_one(
        {"_id": version_id(family_id, version)},
        {"family_id": str(family_id), "version": version, **meta, "snapshot": snapshot},
        upsert=True,
    )


async def claim_keys(*, db: Database, family_id: str, keys: list[str]) -> str | None:
    """Make ``keys`` point at the family; return the family that already holds one, if any.

    A key whose holder does not exist (left by a crash before its passport was stored) is
    taken over.
    """
    if not keys:
        return None
    try:
        await db[KEYS].insert_many(
            [{"_id": k, "family_id": family_id} for k in keys], ordered=False
        )
        return None
    except BulkWriteError as exc:
        # ``index`` is the key's position in the insert: MongoDB and FerretDB both give it.
        taken = [keys[e["index"]] for e in exc.details["writeErrors"] if e.get("code") == 11000]
    for key in taken:
        holder = await db[KEYS].find_one({"_id": key})
        if holder is None or holder["family_id"] == family_id:
            continue
        if await db[PASSPORTS].find_one({"_id": holder["family_id"]}, {"_id": 1}) is None:
            await db[KEYS].replace_one({"_id": key}, {"family_id": family_id})
            continue
        await release_keys(db=db, family_id=family_id, keys=keys)
        return str(holder["family_id"])
    return None


async def release_keys(*, db: Database, family_id: str, keys: list[str]) -> None:
    """Drop the keys that point at the family."""
    for key in keys:
        holder = await db[KEYS].find_one({"_id": key})
        if holder is not None and holder["family_id"] == family_id:
            await db[KEYS].delete_one({"_id": key})


async def holder_of(*, db: Database, key: str) -> str | None:
    """Family holding an identity key."""
    holder = await db[KEYS].find_one({"_id": key})
    return None if holder is None else str(holder["family_id"])
