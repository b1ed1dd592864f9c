"""Consumers are idempotent on ``event_id``: a processed-ids record per consumer and event."""

import contextlib
from uuid import UUID

from pymongo.errors import DuplicateKeyError

from .store import Database

PROCESSED_COLLECTION = "processed_events"


class ProcessedEvents:
    """Which events a consumer already applied; ``_id`` = ``<consumer>:<event_id>``."""

    def __init__(self, db: Database, consumer: str) -> None:
        self._collection = db[PROCESSED_COLLECTION]
        self._consumer = consumer

    def _id(self, event_id: UUID) -> str:
        return f"{self._consumer}:{event_id}"

    async def seen(self, event_id: UUID) -> bool:
        """Whether this consumer already applied the event."""
        return await self._collection.find_one({"_id": self._id(event_id)}, {"_id": 1}) is not None

    async def mark(self, event_id: UUID) -> None:
        """Record the event as applied (after its effects were stored)."""
        # A concurrent delivery may have got here first; the effect is the same.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.insert_one({"_id": self._id(event_id)})
