"""Consumers are idempotent on ``event_id``: a processed-ids record per consumer and event."""

import contextlib
import uuid
from collections.abc import Sequence
from uuid import UUID

from pymongo.errors import BulkWriteError, DuplicateKeyError

from .batching import gather_limited
from .store import Collection, Database

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


DUPLICATE_KEY = 11000
CLAIM_LIMIT = 50
"""Claims inserted per command (stock FerretDB 1.24 hangs on a bulk update of 100 statements)."""


class BatchClaim:
    """The events of one batch a consumer is applying; ``done`` once their effects are stored."""

    def __init__(self, collection: Collection, consumer: str, batch: str) -> None:
        self._collection = collection
        self._consumer = consumer
        self.batch = batch

    async def done(self) -> None:
        """Record that the batch's effects are stored: its claims now mean "applied"."""
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.insert_one({"_id": batch_done_id(self._consumer, self.batch)})


def batch_done_id(consumer: str, batch: str) -> str:
    """``_id`` of the record that a consumer's batch was applied."""
    return f"{consumer}:batch:{batch}"


class ProcessedBatches:
    """Which events a batch consumer already applied, checked for a whole batch at once.

    Each event is claimed by inserting ``<consumer>:<event_id>`` naming the batch, all in
    one ``insert_many``; the claims that already exist (a duplicate ``_id``) are events
    delivered before. Once the batch's effects are stored, one more insert records the
    batch done. An event claimed by a batch never recorded done (its consumer crashed, or
    is still at it during a rebalance) is applied again — effects must be safe to apply
    twice, as for any consumer; one claimed by a done batch, or marked by
    ``ProcessedEvents``, is skipped. Normal cost: two inserts per batch, no read (a
    redelivery reads the claims it finds, and takes over those of a batch never done).
    """

    def __init__(self, db: Database, consumer: str) -> None:
        self._collection = db[PROCESSED_COLLECTION]
        self._consumer = consumer

    def _id(self, event_id: UUID) -> str:
        return f"{self._consumer}:{event_id}"

    async def claim(self, event_ids: Sequence[UUID]) -> tuple[set[UUID], BatchClaim]:
        """Claim the events for a new batch; which of them still need applying, and the claim."""
        batch = uuid.uuid4().hex
        claim = BatchClaim(self._collection, self._consumer, batch)
        claimed_before: list[UUID] = []
        for start in range(0, len(event_ids), CLAIM_LIMIT):
            group = event_ids[start : start + CLAIM_LIMIT]
            try:
                await self._collection.insert_many(
                    [{"_id": self._id(e), "batch": batch} for e in group], ordered=False
                )
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                claimed_before += [group[int(e["index"])] for e in errors]
        applied = await gather_limited(self._applied(e) for e in claimed_before)
        skipped = {e for e, done in zip(claimed_before, applied, strict=True) if done}
        # Applied again now: their claims name this batch, so its ``done`` covers them.
        retaken = [e for e, done in zip(claimed_before, applied, strict=True) if not done]
        await gather_limited(
            self._collection.update_one({"_id": self._id(e)}, {"$set": {"batch": batch}})
            for e in retaken
        )
        return {e for e in event_ids if e not in skipped}, claim

    async def _applied(self, event_id: UUID) -> bool:
        found = await self._collection.find_one({"_id": self._id(event_id)})
        if found is None or "batch" not in found:
            return found is not None  # marked one by one after its effects
        done = batch_done_id(self._consumer, str(found["batch"]))
        return await self._collection.find_one({"_id": done}, {"_id": 1}) is not None
