"""Short per-document locks, for read-modify-write without a multi-field filter.

FerretDB v1 pushes a filter down to its SQLite backend only when it is exactly ``{_id: …}``;
an optimistic ``{_id: …, version: …}`` guard would scan the whole collection. So a writer
takes a lock document (``_id`` = the locked document's key; inserting it is atomic) in a
small collection, reads and writes by ``_id`` alone, and deletes the lock. A lock left by a
crashed writer expires after ``ttl_s``.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from patronage_contracts import utc_now
from pymongo import DeleteOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .store import Database

LOCKS = "document_locks"


class LockTimeoutError(RuntimeError):
    """The document stayed locked by another writer for too long."""


@contextlib.asynccontextmanager
async def locked(
    db: Database, key: str, *, ttl_s: float = 30.0, wait_s: float = 10.0
) -> AsyncIterator[None]:
    """Hold the lock of ``key`` for the duration of the block."""
    owner = uuid.uuid4().hex
    locks = db[LOCKS]
    deadline = asyncio.get_running_loop().time() + wait_s
    delay = 0.002
    while True:
        try:
            await locks.insert_one({"_id": key, "owner": owner, "at": utc_now()})
            break
        except DuplicateKeyError:
            holder = await locks.find_one({"_id": key})
            if holder is not None and holder["at"] < utc_now() - timedelta(seconds=ttl_s):
                # The holder crashed: take the lock over, unless someone already did.
                await locks.delete_one({"_id": key, "owner": holder["owner"]})
                continue
            if asyncio.get_running_loop().time() > deadline:
                raise LockTimeoutError(f"{key} stayed locked for {wait_s} s") from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
    try:
        yield
    finally:
        await locks.delete_one({"_id": key, "owner": owner})


DUPLICATE_KEY = 11000


BULK_LIMIT = 50
"""Locks taken or given back per command: FerretDB 1.24 never answers a bulk write of 100
statements or more, and the database stays locked."""


async def try_lock_many(db: Database, keys: Sequence[str]) -> tuple[str, list[str]]:
    """Take whichever of the locks of ``keys`` are free, ``BULK_LIMIT`` per insert; owner and
    those taken.

    Nothing waits, so a group never holds some locks while waiting for others (no
    deadlock between two groups); the caller handles the rest another way (one by one
    with ``locked``, say) and gives the taken ones back with ``release_many``.
    """
    owner = uuid.uuid4().hex
    now = utc_now()
    taken: list[str] = []
    for start in range(0, len(keys), BULK_LIMIT):
        group = keys[start : start + BULK_LIMIT]
        try:
            await db[LOCKS].insert_many(
                [{"_id": key, "owner": owner, "at": now} for key in group], ordered=False
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                await release_many(db, taken, owner)
                raise
            busy = {int(e["index"]) for e in errors}
            taken += [key for n, key in enumerate(group) if n not in busy]
            continue
        taken += group
    return owner, taken


async def release_many(db: Database, keys: Sequence[str], owner: str) -> None:
    """Give back locks taken by ``try_lock_many``."""
    for start in range(0, len(keys), BULK_LIMIT):
        await db[LOCKS].bulk_write(
            [DeleteOne({"_id": k, "owner": owner}) for k in keys[start : start + BULK_LIMIT]]
        )
