"""The document store: pymongo's AsyncMongoClient against MongoDB or FerretDB.

Only what both support is used: single-document atomic updates, ``_id`` look-ups on hot
paths (FerretDB v1 pushes little else down to SQL), no transactions, no change streams.
"""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
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
