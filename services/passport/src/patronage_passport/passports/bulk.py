"""Bulk import of passports (a region's existing register, or benchmark data).

Each passport is validated and stored exactly as ``register_passport`` stores it — sealed,
with its identity keys — but in batches and without publishing
PassportRegistered: run ``search.rebuild`` afterwards, and replay to other services if
they need the families.
"""

import copy
from collections.abc import Callable, Iterable
from uuid import uuid4

from patronage_common.crypto import FieldCipher
from patronage_common.store import Database
from patronage_contracts import utc_now
from pymongo.errors import BulkWriteError

from . import service
from .documents import seal
from .flows import check_new_passport, new_passport
from .models import PassportCreate

BATCH = 500


async def import_passports(
    *,
    db: Database,
    cipher: FieldCipher,
    passports: Iterable[PassportCreate],
    actor: str,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """Store the passports; return the new family ids (duplicates are refused and skipped)."""
    stored: list[str] = []
    batch: list[PassportCreate] = []
    for data in passports:
        batch.append(data)
        if len(batch) == BATCH:
            stored += await _import_batch(db, cipher, batch, actor)
            batch = []
            if on_batch:
                on_batch(len(stored))
    if batch:
        stored += await _import_batch(db, cipher, batch, actor)
        if on_batch:
            on_batch(len(stored))
    return stored


async def _import_batch(
    db: Database, cipher: FieldCipher, batch: list[PassportCreate], actor: str
) -> list[str]:
    now = utc_now()
    documents, keys = [], []
    for data in batch:
        check_new_passport(data, now.date())
        document, _ = new_passport(data, family_id=uuid4(), actor=actor, now=now)
        documents.append(seal(copy.deepcopy(document), cipher))
        keys += [{"_id": k, "family_id": document["_id"]} for k in document["identity_keys"]]
    refused: set[str] = set()
    try:
        await db[service.KEYS].insert_many(keys, ordered=False)
    except BulkWriteError as exc:
        refused = {keys[e["index"]]["family_id"] for e in exc.details["writeErrors"]}
    documents = [d for d in documents if d["_id"] not in refused]
    if not documents:
        return []
    await db[service.PASSPORTS].insert_many(documents)
    return [d["_id"] for d in documents]
