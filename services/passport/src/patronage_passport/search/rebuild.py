"""Rebuild the whole search index from the passports (after a bulk import, or to repair).

``python -m patronage_passport.search.rebuild`` rebuilds the index of the store the
environment names (``MONGODB_URL``, ``MONGODB_DATABASE``): after an upgrade that changes the
index format, or a bulk import. Run it with the service stopped: a passport changed while
the index is rebuilt may keep its old posting until its next change.
"""

import asyncio
import sys
from collections import defaultdict
from collections.abc import Callable

from patronage_common.store import Database, create_mongo_client

from ..passports import service as passports
from ..settings import get_settings
from . import service
from .flows import state_of
from .keys import group_of, is_fine, leaf_for

BATCH = 1000
PAGES_AT_ONCE = 100
"""Posting pages hold result lines: a few hundred KB at most, inserted a hundred at a time."""


async def rebuild_index(*, db: Database, on_progress: Callable[[int], None] | None = None) -> int:
    """Drop and rebuild postings, counts and per-family state; return passports indexed.

    Always writes the current format (result lines in the posting pages), so it also
    converts an index built by an earlier version.
    """
    postings: dict[str, dict[str, str]] = defaultdict(dict)
    leaves: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    groups: dict[str, set[str]] = defaultdict(set)
    states = []
    indexed = 0
    async for document in db[passports.PASSPORTS].find({}, {"outbox": 0}):
        state = state_of(document)
        entry, posting = state["entry"], state["posting"]
        for key in state["keys"]:
            leaf = leaf_for(key, entry)
            postings[f"{key}|{leaf}"][document["_id"]] = posting
            if is_fine(key):
                leaves[f"{key}|{group_of(leaf)}"].add(leaf)
            counts[key] += 1
            groups[key].add(group_of(leaf))
        states.append({"_id": document["_id"], **state})
        indexed += 1
        if on_progress and indexed % BATCH == 0:
            on_progress(indexed)
    for collection in (service.POSTINGS, service.GROUPS, service.COUNTS, service.STATE):
        await service.index_db(db)[collection].drop()
    for name, rows, at_once in (
        (service.POSTINGS, [{"_id": k, "lines": v} for k, v in postings.items()], PAGES_AT_ONCE),
        (service.GROUPS, [{"_id": k, "leaves": sorted(v)} for k, v in leaves.items()], BATCH),
        (
            service.COUNTS,
            [{"_id": k, "count": c, "groups": sorted(groups[k])} for k, c in counts.items()],
            BATCH,
        ),
        (service.STATE, states, BATCH),
    ):
        for start in range(0, len(rows), at_once):
            await service.index_db(db)[name].insert_many(rows[start : start + at_once])
    return indexed


async def move_index_out(*, db: Database) -> bool:
    """Rebuild an index kept in the passports' database in its own, then drop the old one.

    Indexes built before the index had a database of its own (``service.index_db``) kept
    it beside the passports; the service runs this when it starts (searches answer from
    the new index once it is built). Returns whether there was one to move.
    """
    if await db[service.STATE].find_one({}, {"_id": 1}) is None:
        return False
    await rebuild_index(db=db)
    for collection in (service.POSTINGS, service.GROUPS, service.COUNTS, service.STATE):
        await db[collection].drop()
    return True


async def _rebuild_configured_store() -> int:
    settings = get_settings()
    client = create_mongo_client(settings)
    try:
        return await rebuild_index(
            db=client[settings.database_name],
            on_progress=lambda done: print(f"\r  прочитано паспортов: {done}", end="", flush=True),
        )
    finally:
        await client.close()


def main() -> int:
    """Rebuild the configured store's search index and say how many passports it holds."""
    indexed = asyncio.run(_rebuild_configured_store())
    print(f"\nиндекс поиска перестроен: {indexed} паспортов")
    return 0


if __name__ == "__main__":
    sys.exit(main())
