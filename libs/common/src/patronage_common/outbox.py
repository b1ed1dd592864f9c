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

New documents can also be inserted in groups (``insert_many``, or ``grouped`` for
concurrent callers): one group marker holding all the group's events, one insert of the
documents (each naming its group), all events handed to the producer together, and the
marker deleted by ``_id`` — a constant number of writes per group and no document
update, which FerretDB v1 makes ten times dearer than an insert. After a crash the relay
publishes a group marker's events for the documents that group stored. The guarantees
are the same as one by one.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from patronage_contracts import Message, topic_of, utc_now
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .batching import GROUP_LIMIT, GroupCommit
from .locks import locked
from .logging import get_logger
from .messaging import EventPublisher
from .store import Collection, Database, Document

log = get_logger(__name__)

MARKERS = "outbox_pending"
MARKERS_DATABASE_SUFFIX = "_outbox"
OUTBOX_FIELD = "outbox"
GROUP_FIELD = "outbox_group"
"""On a document inserted by ``insert_many``: the id of the group that stored it."""
GROUP_MARKER_PREFIX = "group:"
GROUP_FLUSH_ATTEMPTS = 3
RELAY_GRACE_S = 10.0
DUPLICATE_KEY = 11000

Known = tuple[list[Document], int | None]
"""A document's whole outbox and its marker's generation, as a write just left them."""


def outbox_entries(events: Sequence[Message]) -> list[Document]:
    """Stored form of events waiting to be published: the message's JSON as it goes to
    Kafka (one string: FerretDB converts every stored value one by one, and a marker of
    150 events cost it 8.8 ms of CPU with each message as a document against 3.4 ms so),
    beside what its headers and trace need."""
    return [
        {
            "event_id": str(event.event_id),
            "type": event.type,
            "correlation_id": str(event.correlation_id),
            "trace_context": dict(event.trace_context),
            "topic": topic_of(event),
            "key": event.key,
            "body": event.model_dump_json(),
        }
        for event in events
    ]


def _send_entry(publisher: EventPublisher, entry: Document) -> Awaitable["asyncio.Future[Any]"]:
    if "body" in entry:
        return publisher.send_body(
            topic=entry["topic"], key=entry["key"], envelope=entry, body=entry["body"].encode()
        )
    # Stored by an earlier version: the message as a document.
    return publisher.send_raw(topic=entry["topic"], key=entry["key"], payload=entry["payload"])


@dataclass(frozen=True)
class NewDocument:
    """A document to insert with the events its creation causes."""

    document: Document
    events: Sequence[Message]


BeforeInsert = Callable[[Sequence[Document]], Awaitable[None]]
"""Runs once per group before its documents are stored (an index listing them, say)."""


async def _insert_all(collection: Any, documents: Sequence[Document]) -> set[int]:
    """Insert, ordered=False; the positions refused as duplicate ``_id``s."""
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {int(e["index"]) for e in errors}
    return set()


def markers_of(db: Database) -> Collection:
    """The outbox markers of the documents in ``db``: in a database of their own beside it.

    FerretDB's SQLite backend keeps each database in a file with its own single writer: a
    marker written beside a new document's other writes (the duplicate check, an index) and
    deleted once its events are out no longer waits for, or holds up, the writes of the
    documents themselves in SQLite's busy handler.
    """
    return db.client[f"{db.name}{MARKERS_DATABASE_SUFFIX}"][MARKERS]


class Outbox:
    """Stores state changes together with their events, and relays the events."""

    def __init__(self, db: Database, publisher: EventPublisher) -> None:
        self._db = db
        self._markers = markers_of(db)
        self._publisher = publisher
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._groups: dict[str, GroupCommit[NewDocument]] = {}
        self._group_flushes: set[asyncio.Task[None]] = set()
        self._in_group_flush: set[str] = set()

    async def mark(self, collection: str, doc_id: Any) -> int | None:
        """Name the document as one that may hold unsent events (before writing them).

        Returns the marker's generation after this mark, for ``insert(..., marked=…)``.
        """
        return await self._mark(collection, doc_id)

    async def _mark(self, collection: str, doc_id: Any) -> int | None:
        # One round trip that also tells the generation: the flush that follows the write
        # removes the marker only if no later write marked the document again.
        markers = self._markers
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

    def grouped(
        self, collection: str, *, before: BeforeInsert | None = None, window_s: float = 0.002
    ) -> GroupCommit[NewDocument]:
        """This process's group commit of new documents into ``collection`` (made once).

        ``submit(NewDocument(...))`` returns once the document is stored, with whatever
        other documents were submitted within ``window_s``; a duplicate ``_id`` raises
        ``DuplicateKeyError`` and nothing of that submission is stored or published.
        """
        group = self._groups.get(collection)
        if group is None:

            async def commit(items: Sequence[NewDocument]) -> list[BaseException | None]:
                refused = await self.insert_many(collection, items, before=before)
                return [
                    DuplicateKeyError(f"{collection}: {item.document['_id']} exists")
                    if item.document["_id"] in refused
                    else None
                    for item in items
                ]

            group = self._groups[collection] = GroupCommit(commit, window_s=window_s)
        return group

    async def insert_many(
        self, collection: str, items: Sequence[NewDocument], *, before: BeforeInsert | None = None
    ) -> set[Any]:
        """Insert new documents with their events, then publish them: two writes in all.

        ``before`` (an index listing the documents, a duplicate check's write) runs alongside
        the marker's write, and both end before the documents are stored. If it raises,
        nothing is inserted and its exception propagates; the marker then names documents no
        group stored: the relay's sweep publishes nothing of it and drops it.

        The group's events go in one group marker (written first), the documents in one
        insert, each naming its group (``outbox_group``); once the events are published
        the marker is deleted by ``_id``. No document is updated. Returns the ids refused
        because a document with that ``_id`` exists (nothing of theirs is stored or
        published). At most 50 documents (FerretDB's bulk limit).
        """
        if not items:
            return set()
        if len(items) > GROUP_LIMIT:
            raise ValueError(f"at most {GROUP_LIMIT} documents at once")
        ids = [item.document["_id"] for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("a group must not name one _id twice")
        group_id = uuid.uuid4().hex
        marker_id = f"{GROUP_MARKER_PREFIX}{group_id}"
        entries = [outbox_entries(item.events) for item in items]
        marker = self._markers.insert_one(
            {
                "_id": marker_id,
                "collection": collection,
                "group": group_id,
                "documents": [
                    {"doc_id": doc_id, OUTBOX_FIELD: pending}
                    for doc_id, pending in zip(ids, entries, strict=True)
                ],
                "marked_at": utc_now(),
            }
        )
        if before is None:
            await marker
        else:
            # One round trip of the group's latency instead of two; neither write needs
            # the other, and the documents are stored only once both are (both end first).
            outcomes = await asyncio.gather(
                marker, before([item.document for item in items]), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        refused = await _insert_all(
            self._db[collection],
            [{**item.document, OUTBOX_FIELD: [], GROUP_FIELD: group_id} for item in items],
        )
        stored = {ids[n]: entries[n] for n in range(len(items)) if n not in refused}
        # Until the group's flush is done, a flush of one of its documents (after an
        # update, say) waits for it, as flushes of one document always do.
        self._in_group_flush.update(f"{collection}:{doc_id}" for doc_id in stored)
        task = asyncio.create_task(
            self._flush_group(collection, marker_id, stored),
            name=f"outbox-flush-group:{collection}",
        )
        self._group_flushes.add(task)
        task.add_done_callback(self._group_flushes.discard)
        return {ids[n] for n in refused}

    async def _flush_group(
        self, collection: str, marker_id: str, entries: dict[Any, list[Document]]
    ) -> None:
        """Publish a group's events together, then delete its marker.

        ``entries``: the events of each document the group stored. Whatever fails here is
        left to the relay, which publishes it once more.
        """
        try:
            # Retried here first: until it is done, later events of the group's documents
            # wait (they must not overtake the creation events the relay would send).
            for attempt in range(GROUP_FLUSH_ATTEMPTS):
                try:
                    await self._publish_group(marker_id, entries)
                    break
                except Exception:
                    if attempt == GROUP_FLUSH_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.1 * 2**attempt)
        except Exception:
            log.exception("outbox group flush failed; the relay retries", collection=collection)
        finally:
            for doc_id in entries:
                key = f"{collection}:{doc_id}"
                self._in_group_flush.discard(key)
                if key in self._again:
                    self._again.discard(key)
                    self.flush_soon(collection, doc_id)

    async def _publish_group(self, marker_id: str, entries: dict[Any, list[Document]]) -> int:
        sent = [
            await _send_entry(self._publisher, entry)
            for pending in entries.values()
            for entry in pending
        ]
        await asyncio.gather(*sent)
        await self._markers.delete_one({"_id": marker_id})
        return len(sent)

    async def _recover_group(self, marker: Document) -> int:
        """Publish what a group marker left by an interrupted ``insert_many`` still owes.

        Only the documents that group stored are published: a document with that
        ``_id`` from another write (the group's insert was refused) names another group.
        """
        collection, group_id = marker["collection"], marker["group"]
        entries: dict[Any, list[Document]] = {}
        for item in marker.get("documents", []):
            stored = await self._db[collection].find_one({"_id": item["doc_id"]}, {GROUP_FIELD: 1})
            if stored is not None and stored.get(GROUP_FIELD) == group_id:
                entries[item["doc_id"]] = item[OUTBOX_FIELD]
        return await self._publish_group(marker["_id"], entries)

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
        if key in self._inflight or key in self._in_group_flush:
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
        while self._inflight or self._group_flushes:
            await asyncio.gather(
                *self._inflight.values(), *self._group_flushes, return_exceptions=True
            )

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
            marker = await self._markers.find_one({"_id": marker_id})
            document = await self._db[collection].find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
            pending = (document or {}).get(OUTBOX_FIELD) or []
        sent = [await _send_entry(self._publisher, entry) for entry in pending]
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
            await self._markers.delete_one(
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
        async for marker in self._markers.find({}):
            if marker.get("marked_at") is not None and marker["marked_at"] > cutoff:
                continue
            if "group" in marker:
                sent += await self._recover_group(marker)
            else:
                sent += await self.flush(marker["collection"], marker["doc_id"])
        return sent

    async def move_earlier_markers(self) -> int:
        """Move markers an earlier version kept beside the documents into their own database
        (``markers_of``), so the sweep finds them; returns how many."""
        moved = 0
        async for marker in self._db[MARKERS].find({}):
            with contextlib.suppress(DuplicateKeyError):  # moved by another replica already
                await self._markers.insert_one(marker)
            await self._db[MARKERS].delete_one({"_id": marker["_id"]})
            moved += 1
        return moved

    async def run_relay(self, interval_s: float) -> None:
        """Move earlier markers, sweep everything at start, then every ``interval_s`` seconds
        until cancelled."""
        grace_s = 0.0  # at start nothing of this process is mid-flush
        earlier_moved = False
        while True:
            try:
                if not earlier_moved:
                    if moved := await self.move_earlier_markers():
                        log.info("outbox markers moved into their own database", count=moved)
                    earlier_moved = True
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
