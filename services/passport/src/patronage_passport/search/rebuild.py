"""Rebuild the whole search index from the passports (after a bulk import, or to repair)."""

from collections import defaultdict
from collections.abc import Callable

from patronage_common.store import Database

from ..passports import service as passports
from . import service
from .flows import state_of
from .keys import group_of, is_fine, leaf_for

BATCH = 1000


async def rebuild_index(*, db: Database, on_progress: Callable[[int], None] | None = None) -> int:
    """Drop and rebuild postings, counts and per-family state; return passports indexed."""
    postings: dict[str, set[str]] = defaultdict(set)
    leaves: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    groups: dict[str, set[str]] = defaultdict(set)
    states = []
    indexed = 0
    async for document in db[passports.PASSPORTS].find({}, {"outbox": 0}):
        state = state_of(document)
        entry = state["entry"]
        for key in state["keys"]:
            leaf = leaf_for(key, entry)
            postings[f"{key}|{leaf}"].add(entry)
            if is_fine(key):
                leaves[f"{key}|{group_of(leaf)}"].add(leaf)
            counts[key] += 1
            groups[key].add(group_of(leaf))
        states.append({"_id": document["_id"], **state})
        indexed += 1
        if on_progress and indexed % BATCH == 0:
            on_progress(indexed)
    for collection in (service.POSTINGS, service.GROUPS, service.COUNTS, service.STATE):
        await db[collection].drop()
    for name, rows in (
        (service.POSTINGS, [{"_id": k, "entries": sorted(v)} for k, v in postings.items()]),
        (service.GROUPS, [{"_id": k, "leaves": sorted(v)} for k, v in leaves.items()]),
        (
            service.COUNTS,
            [{"_id": k, "count": c, "groups": sorted(groups[k])} for k, c in counts.items()],
        ),
        (service.STATE, states),
    ):
        for start in range(0, len(rows), BATCH):
            await db[name].insert_many(rows[start : start + BATCH])
    return indexed
