"""The document store: pymongo's AsyncMongoClient against MongoDB or FerretDB.

Only what both support is used: single-document atomic updates, ``_id`` look-ups on hot
paths (FerretDB v1 pushes little else down to SQL), no transactions, no change streams.
"""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from .settings import ServiceSettings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
MongoClient = AsyncMongoClient[Document]


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
