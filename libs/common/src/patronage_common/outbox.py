"""Transactional outbox without multi-document transactions.

The events a state change causes are stored in the same single-document write, in the
document's ``outbox`` array, then published and pulled from the array. A small
``outbox_pending`` collection names the documents that may hold unsent events, so the
relay never scans the (large) state collections: it is written before the state change
and removed once the array is empty. A crash anywhere leaves either a marker whose
document has nothing pending (removed on the next sweep) or pending events that the next
sweep publishes. An event can be published twice after a crash; consumers drop the
repeat by ``event_id``.

A write returns once the document and its events are stored; publishing follows at once
in the background (one flush at a time per document, so events leave in order), so a
caller's latency is the store's, not the broker's.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from patronage_contracts import Message, topic_of, utc_now
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .locks import locked
from .logging import get_logger
from .messaging import EventPublisher
from .store import Database, Document

log = get_logger(__name__)

MARKERS = "outbox_pending"
OUTBOX_FIELD = "outbox"
RELAY_GRACE_S = 10.0

Known = tuple[list[Document], int | None]
"""A document's whole outbox and its marker's generation, as a write just left them."""


def outbox_entries(events: Sequence[Message]) -> list[Document]:
    """Stored form of events waiting to be published."""
    return [
        {
            "event_id": str(event.event_id),
            "topic": topic_of(event),
            "key": event.key,
            "payload": event.model_dump(mode="json"),
        }
        for event in events
    ]


class Outbox:
    """Stores state changes together with their events, and relays the events."""

    def __init__(self, db: Database, publisher: EventPublisher) -> None:
        self._db = db
        self._publisher = publisher
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    async def mark(self, collection: str, doc_id: Any) -> int | None:
        """Name the document as one that may hold unsent events (before writing them).

        Returns the marker's generation after this mark, for ``insert(..., marked=…)``.
        """
        return await self._mark(collection, doc_id)

    async def _mark(self, collection: str, doc_id: Any) -> int | None:
        # One round trip that also tells the generation: the flush that follows the write
        # removes the marker only if no later write marked the document again.
        markers = self._db[MARKERS]
        for attempt in range(3):
            try:
                marker = await markers.find_one_and_update(
                    {"_id": f"{collection}:{doc_id}"},
                    {
                        "$set": {
                            "collection": collection,
                            "doc_id": doc_id,
                            "marked_at": utc_now(),
                        },
                        "$inc": {"generation": 1},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                return None if marker is None else marker.get("generation")
            except DuplicateKeyError:  # two writers created the marker at once: apply again
                if attempt == 2:
                    raise
        return None  # pragma: no cover

    async def insert(
        self,
        collection: str,
        document: Document,
        events: Sequence[Message],
        *,
        marked: bool = False,
        generation: int | None = None,
    ) -> None:
        """Insert a new document with its events, then publish them.

        ``marked``: the caller already called ``mark`` (alongside another write, say), which
        returned ``generation``.
        """
        if not marked:
            generation = await self._mark(collection, document["_id"])
        entries = outbox_entries(events)
        await self._db[collection].insert_one({**document, OUTBOX_FIELD: entries})
        # A new document's outbox is what was just written: the flush need not read it.
        self.flush_soon(collection, document["_id"], known=(entries, generation))

    async def update(
        self,
        collection: str,
        doc_id: Any,
        update: Document,
        events: Sequence[Message],
        *,
        upsert: bool = False,
    ) -> Document | None:
        """Apply ``update`` to the document ``doc_id`` together with its events.

        The filter is ``_id`` alone (the only one FerretDB's SQLite backend looks up by
        index). Hold ``locked(db, f"{collection}:{doc_id}")`` around it, as the background
        flush does around its own write: FerretDB v1 rewrites whole documents, so two
        unguarded updates of one document can lose one another. Returns the updated
        document, or None if there is none (nothing stored, nothing published).
        """
        generation = await self._mark(collection, doc_id)
        full_update = dict(update)
        if events:
            full_update["$push"] = {
                **update.get("$push", {}),
                OUTBOX_FIELD: {"$each": outbox_entries(events)},
            }
        updated = await self._db[collection].find_one_and_update(
            {"_id": doc_id}, full_update, upsert=upsert, return_document=ReturnDocument.AFTER
        )
        # The document as written holds its whole outbox: the flush need not read it again.
        known = None if updated is None else (updated.get(OUTBOX_FIELD) or [], generation)
        self.flush_soon(collection, doc_id, known=known)
        return updated

    def flush_soon(self, collection: str, doc_id: Any, *, known: Known | None = None) -> None:
        """Publish the document's pending events in the background, one flush at a time.

        ``known``: the document's whole outbox and its marker's generation as just written
        (the flush reads neither then); a flush already running goes round once more and
        reads them.
        """
        key = f"{collection}:{doc_id}"
        if key in self._inflight:
            self._again.add(key)  # the running flush goes round once more
            return
        self._inflight[key] = asyncio.create_task(
            self._flush_until_done(collection, doc_id, key, known), name=f"outbox-flush:{key}"
        )

    async def _flush_until_done(
        self, collection: str, doc_id: Any, key: str, known: Known | None
    ) -> None:
        try:
            while True:
                self._again.discard(key)
                try:
                    await self.flush(collection, doc_id, known=known)
                    known = None  # a second round reads what later writes added
                except Exception:
                    log.exception("outbox flush failed; the relay retries", document=key)
                    return
                if key not in self._again:
                    return
        finally:
            del self._inflight[key]

    async def drain(self) -> None:
        """Wait for the background flushes started so far (at shutdown, say)."""
        while self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    async def flush(self, collection: str, doc_id: Any, *, known: Known | None = None) -> int:
        """Publish what the document has pending, in order; return how many were sent.

        ``known``: the whole outbox and the marker's generation as the caller's write left
        them (see ``flush_soon``); otherwise both are read.
        """
        marker_id = f"{collection}:{doc_id}"
        pending: list[Document]
        if known is not None:
            pending, generation = known
            marker: Document | None = {"generation": generation}
            document: Document | None = {OUTBOX_FIELD: pending}
        else:
            # Read the marker's generation first: a write that marks the document after
            # this point raises it, and the marker then survives this flush.
            marker = await self._db[MARKERS].find_one({"_id": marker_id})
            document = await self._db[collection].find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
            pending = (document or {}).get(OUTBOX_FIELD) or []
        sent = [
            await self._publisher.send_raw(
                topic=entry["topic"], key=entry["key"], payload=entry["payload"]
            )
            for entry in pending
        ]
        await asyncio.gather(*sent)
        remaining = document
        if pending:
            # FerretDB v1 rewrites a whole document on any update, so this one must not
            # interleave with a writer's read-modify-write of the same document: it takes the
            # lock writers take (``locked(db, "<collection>:<id>")``).
            async with locked(self._db, marker_id):
                remaining = await self._db[collection].find_one_and_update(
                    {"_id": doc_id},
                    # Whole stored entries, as read: FerretDB v1's $pull cannot match by a
                    # condition on a field, and exact documents work on both stores.
                    # (FerretDB's findAndModify takes no projection: the whole document.)
                    {"$pullAll": {OUTBOX_FIELD: pending}},
                    return_document=ReturnDocument.AFTER,
                )
        if marker is not None and not (remaining or {}).get(OUTBOX_FIELD):
            await self._db[MARKERS].delete_one(
                {"_id": marker_id, "generation": marker.get("generation")}
            )
        return len(pending)

    async def sweep(self, *, older_than_s: float = 0.0) -> int:
        """Publish whatever earlier writes left pending (after a crash, say).

        ``older_than_s`` leaves alone the markers of writes that are still flushing
        their own events, so the relay does not publish those a second time.
        """
        sent = 0
        cutoff = utc_now() - timedelta(seconds=older_than_s)
        async for marker in self._db[MARKERS].find({}):
            if marker.get("marked_at") is None or marker["marked_at"] <= cutoff:
                sent += await self.flush(marker["collection"], marker["doc_id"])
        return sent

    async def run_relay(self, interval_s: float) -> None:
        """Sweep everything at start, then every ``interval_s`` seconds until cancelled."""
        grace_s = 0.0  # at start nothing of this process is mid-flush
        while True:
            try:
                sent = await self.sweep(older_than_s=grace_s)
                if sent:
                    log.info("outbox relay published pending events", count=sent)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sweep failed; retrying")
            grace_s = RELAY_GRACE_S
            await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def running_relay(outbox: Outbox, interval_s: float) -> Any:
    """Run the relay in the background for the life of the service."""
    task = asyncio.create_task(outbox.run_relay(interval_s), name="outbox-relay")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await outbox.drain()
