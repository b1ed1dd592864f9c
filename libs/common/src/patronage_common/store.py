"""The document store: pymongo's AsyncMongoClient against MongoDB or FerretDB.

Only what both support is used: single-document atomic updates, ``_id`` look-ups on hot
paths (FerretDB v1 pushes little else down to SQL), no transactions, no change streams.
"""

from collections.abc import Sequence
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
