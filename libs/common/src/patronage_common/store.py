"""The document store: pymongo's AsyncMongoClient against MongoDB or FerretDB.

Only what both support is used: single-document atomic updates, ``_id`` look-ups on hot
paths (FerretDB v1 pushes little else down to SQL), no transactions, no change streams.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import UpdateResult

from .settings import ServiceSettings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
MongoClient = AsyncMongoClient[Document]
Collection = AsyncCollection[Document]

UPSERT_ATTEMPTS = 3
PROJECTIONS_SUFFIX = "_projections"
MOVE_BATCH = 50


def projections_of(db: Database) -> Database:
    """The database beside ``db`` that holds what the service's event consumers keep: what
    they derive from events (timelines, lists, SLA clocks) and which events they applied.

    FerretDB's SQLite backend keeps each database in a file with a single writer: the
    consumers' many writes behind every change would otherwise queue with (and hold up)
    the writes of the documents themselves. On MongoDB it is only a name.
    """
    return db.client[f"{db.name}{PROJECTIONS_SUFFIX}"]


async def move_collections(source: Database, target: Database, names: Iterable[str]) -> int:
    """Move the documents of the collections ``names`` from ``source`` into ``target``
    (where an earlier version kept them); returns how many moved.

    Each document is inserted into ``target`` (one there already is kept) and then deleted
    from ``source`` by ``_id``, ``MOVE_BATCH`` at a time: a move cut short is taken up by
    the next, and two replicas moving at once store each document once. A replica that
    read a document before another moved it can put it back after the other's consumers
    deleted it (a list line change already folded, say): the consumers' writes are safe
    to apply twice, so it counts as a repeat.
    """
    moved = 0
    for name in names:
        batch: list[Document] = []
        async for document in source[name].find({}):
            batch.append(document)
            if len(batch) == MOVE_BATCH:
                moved += await _move(source[name], target[name], batch)
                batch = []
        moved += await _move(source[name], target[name], batch)
    return moved


async def _move(source: Collection, target: Collection, documents: list[Document]) -> int:
    if not documents:
        return 0
    try:
        await target.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
    for document in documents:
        await source.delete_one({"_id": document["_id"]})
    return len(documents)


def create_mongo_client(settings: ServiceSettings) -> MongoClient:
    """A client with short server-selection timeouts so readiness fails fast."""
    return AsyncMongoClient(
        settings.mongodb_url,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
        tz_aware=True,
        uuidRepresentation="standard",
        appname=settings.service_name,
    )


async def upsert_one(collection: Collection, filter_: Document, update: Document) -> UpdateResult:
    """``update_one(..., upsert=True)`` that survives two writers creating the same document.

    Two concurrent upserts of one ``_id`` can both try to insert; the loser gets a
    duplicate-key error although its update would now simply apply. Try again.
    """
    for _ in range(UPSERT_ATTEMPTS - 1):
        try:
            return await collection.update_one(filter_, update, upsert=True)
        except DuplicateKeyError:
            continue
    return await collection.update_one(filter_, update, upsert=True)


BULK_LIMIT = 50
"""Statements per bulk write: FerretDB 1.24 never answers an ``update`` of 100 or more."""
DUPLICATE_KEY = 11000


async def upsert_many(collection: Collection, updates: Sequence[tuple[Document, Document]]) -> None:
    """``upsert_one`` of each ``(filter, update)``, sent ``BULK_LIMIT`` at a time.

    The filters must name different documents (stock FerretDB 1.24 hangs on two upserts of one
    ``_id`` in one bulk). An upsert that lost a race to create its document is tried again
    alone.
    """
    for start in range(0, len(updates), BULK_LIMIT):
        group = updates[start : start + BULK_LIMIT]
        try:
            await collection.bulk_write(
                [UpdateOne(f, u, upsert=True) for f, u in group], ordered=False
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            for e in errors:
                await upsert_one(collection, *group[int(e["index"])])
