"""Rebuild every reporting figure from scratch by replaying the event topics.

``python -m patronage_reporting.replay`` (stop the reporting service first): drops the
reporting database's states and figures, reads passport.events, requests.events and
appointments.events from their first offset to the offsets they had when the replay
started, and commits those offsets for the live consumer groups, so the service goes on
from there.

It folds in memory and writes in bulk, never per event:

- each event is parsed once (``pydantic_core.from_json`` of the record's bytes, a few times
  faster than ``json.loads`` and without building the contract model: the projections read
  the fields of the JSON form the contracts define, as the live consumer's
  ``model_dump(mode="json")`` gives them) and applied to the entity's state kept in memory
  and to one ``Changes`` of all figures;
- every ``replay_flush_events`` events (or a fifth of that when the writer is idle), the
  states changed since the last flush are handed to a writer thread while the fold goes on;
  the figures only every ``replay_figure_flush_events`` events (by default: at the end).
  Documents not written before go in with ``insert_many`` into the emptied collections,
  the others by ``_id`` in unordered bulk writes of at most ``BULK_CHUNK`` statements
  (states replaced, figures ``$inc``/``$set``/``$unset``), which is what an upsert per
  event would have produced; a counter touched by a million events between two flushes is
  one number. Figures are held back because the same documents (live, month, curator,
  coverage) change in every stretch of events: written each flush, they would cost ~12,000
  updates per 250,000 events at 100,000 requests, and FerretDB 1.24 takes ~5 ms per
  updated document against ~0.3 ms per inserted one. The held changes are kept apart by
  the month of their document (``MonthBuckets``); a month that ended ``PAST_MARGIN``
  before the slowest partition's last event goes out whole with a flush (inserted: a late
  event's change to one of its documents is an update at the end), so the end has little
  left to write. (Finding them by walking all held changes at each flush cost more CPU
  than it saved: 14,231 against 16,590 events/s at 1M requests.) The thread uses a blocking
  client: it waits on the store's socket without the GIL, so the store writes while Python
  folds (an asyncio task would only run while the fold awaits Kafka). One thread writes the flushes
  in order; a flush's inserts go out in chunks on ``INSERT_CONNECTIONS`` connections at
  once, its updates then one bulk write at a time (never beside other writes);
- a flush waits for the one before it, so at most two flushes' documents are in memory;
- at the end the rest is written the same way and awaited.

The cyclic garbage collector is off during the fold: states and figures hold no cycles,
and with millions of live dicts each full collection would cost more than the fold.
"""

import asyncio
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pydantic_core
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError
from patronage_common.idempotency import PROCESSED_COLLECTION
from patronage_common.locks import LOCKS
from patronage_common.store import Database, create_mongo_client, projections_of
from patronage_contracts.topics import (
    APPOINTMENT_EVENTS_TOPIC,
    PASSPORT_EVENTS_TOPIC,
    REQUEST_EVENTS_TOPIC,
)
from pymongo import MongoClient, ReplaceOne, UpdateOne
from pymongo.collection import Collection as BlockingCollection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .figures.ops import BULK_CHUNK, Changes, MonthBuckets
from .projection.engine import FIGURES, STATES, State, route, state_document
from .projection.handlers import EVENT_ROUTERS
from .settings import ReportingSettings, get_settings

REPLAYED_TOPICS = (
    REQUEST_EVENTS_TOPIC.name,
    PASSPORT_EVENTS_TOPIC.name,
    APPOINTMENT_EVENTS_TOPIC.name,
)
INSERT_CHUNK = 2000
INSERT_CONNECTIONS = 3
"""Documents per ``insert_many`` (inserts have no statement limit; updates: ``BULK_CHUNK``)."""
PAST_MARGIN = timedelta(days=31)
"""How far behind the slowest partition's last event a period must have ended to be written
early. A request's events follow one another on its partition, its last ones (closed,
escalated, rated) weeks after those of the next request's creation: a shorter margin
writes documents that later requests still change (seen with 7 days: 1,281 updates at
100,000 requests, each costing ~20 inserts)."""
EARLY_FLUSH_PART = 5
"""An idle store gets the changes of this part of ``replay_flush_events`` events already."""
Progressed = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did."""

    events: int
    projected: int
    seconds: float
    offsets: dict[TopicPartition, int]
    write_seconds: float = 0.0
    """Of ``seconds``: the writes after the last event was folded."""
    figure_documents: int = 0
    past_figure_documents: int = 0
    """Of ``figure_documents``: those of periods long past, written during the fold."""
    figure_updates: int = 0
    """Updates of figure documents written before (each costs ~20 inserts on FerretDB)."""

    @property
    def events_per_s(self) -> float:
        """Replay rate."""
        return self.events / self.seconds if self.seconds else 0.0


async def clear(db: Database) -> None:
    """Drop the projections, the processed-event record and any lock left behind."""
    for name in (STATES, FIGURES, LOCKS):
        await db.drop_collection(name)
    await projections_of(db).drop_collection(PROCESSED_COLLECTION)


async def _end_offsets(consumer: AIOKafkaConsumer, topics: list[str]) -> dict[TopicPartition, int]:
    deadline = time.monotonic() + 30
    while True:
        partitions = consumer.assignment()
        if {tp.topic for tp in partitions} >= set(topics):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no partitions assigned for {topics}: do the topics exist?")
        await asyncio.sleep(0.1)
    ends = await consumer.end_offsets(list(partitions))
    return {tp: offset for tp, offset in ends.items()}


class _Writer:
    """States and figures folded in memory, written behind the fold by a thread."""

    def __init__(self, client: MongoClient[dict[str, Any]], database_name: str) -> None:
        db = client[database_name]
        self.states_collection = db[STATES]
        self.figures_collection = db[FIGURES]
        self.states: dict[str, State] = {}
        self.dirty: set[str] = set()
        self.written: set[str] = set()
        self.written_figures: set[str] = set()
        self.figure_documents = 0
        self.past_figure_documents = 0
        self.figure_updates = 0
        # One thread writes the flushes in order, so a document is inserted before a later
        # flush updates it.
        self.lane = ThreadPoolExecutor(1, thread_name_prefix="replay-writer")
        # Inserts of new documents go out on a few connections at once (FerretDB converts
        # documents on both cores: ~1.7 times the rate of one connection); updates never run
        # beside other writes.
        self.inserters = ThreadPoolExecutor(INSERT_CONNECTIONS, thread_name_prefix="replay-insert")
        self.pending: list[Future[None]] = []

    async def flush(
        self,
        changes: MonthBuckets,
        *,
        figures: bool = True,
        past: Sequence[Changes] = (),
    ) -> MonthBuckets:
        """Hand the states (and figures) changed since the last flush to the writer thread.

        Waits for the previous flush first. The documents are built now, so the fold may go
        on (into the fresh ``Changes`` returned, or the same one when the figures are kept).
        ``past``: figures taken out of the held ones (months long past), written with the
        states.
        """
        await self.wait()
        fresh = [state_document(self.states[k]) for k in self.dirty if k not in self.written]
        again = [
            ReplaceOne({"_id": k}, state_document(self.states[k]))
            for k in self.dirty
            if k in self.written
        ]
        self.written |= self.dirty
        self.dirty = set()
        writes: list[Writes] = [(self.states_collection, fresh, again)]
        if past:
            before = self.figure_documents
            writes.append(self._figure_writes(past))
            self.past_figure_documents += self.figure_documents - before
        if figures:
            writes.append(self._figure_writes(changes.parts()))
        self.pending = [self.lane.submit(_write, self.inserters, *writes)]
        return MonthBuckets() if figures else changes

    def _figure_writes(self, parts: Sequence[Changes]) -> "Writes":
        # Each document's changes are in one part only (MonthBuckets): split part by part.
        new_figures: list[dict[str, Any]] = []
        updates: list[UpdateOne] = []
        for part in parts:
            fresh, changed = part.split(self.written_figures)
            new_figures += fresh
            updates += [UpdateOne({"_id": i}, u) for i, u in changed.items()]
        self.written_figures.update(d["_id"] for d in new_figures)
        self.figure_documents += len(new_figures)
        self.figure_updates += len(updates)
        return (self.figures_collection, new_figures, updates)

    @property
    def idle(self) -> bool:
        """Whether every flush handed over so far is written."""
        return all(future.done() for future in self.pending)

    async def wait(self) -> None:
        """Wait until every flush handed over so far is written (re-raising its error)."""
        pending, self.pending = self.pending, []
        for future in pending:
            await asyncio.wrap_future(future)

    async def finish(self, changes: MonthBuckets) -> None:
        """Write what is left and wait for every write."""
        await self.flush(changes)
        await self.wait()

    def close(self) -> None:
        """Stop the thread (after the writes handed over, or at once if none)."""
        for future in self.pending:
            future.cancel()
        self.lane.shutdown(wait=True)
        self.inserters.shutdown(wait=True)


Writes = tuple[BlockingCollection[dict[str, Any]], list[dict[str, Any]], list[Any]]
"""A collection, the new documents to insert into it and the updates to apply to it."""


def _write(inserters: ThreadPoolExecutor, *writes: Writes) -> None:
    """Insert new documents (chunks at once), then apply updates one bulk write at a time."""
    for collection, documents, updates in writes:
        inserted = [
            inserters.submit(
                collection.insert_many, documents[start : start + INSERT_CHUNK], ordered=False
            )
            for start in range(0, len(documents), INSERT_CHUNK)
        ]
        for inserting in inserted:
            inserting.result()
        for start in range(0, len(updates), BULK_CHUNK):
            collection.bulk_write(updates[start : start + BULK_CHUNK], ordered=False)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector off for the block (reference counting still frees)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def replay(
    settings: ReportingSettings,
    db: Database,
    *,
    progressed: Progressed | None = None,
    commit_offsets: bool = True,
) -> ReplayResult:
    """Project every event of the topics up to their current end into ``db`` (cleared first).

    ``commit_offsets`` hands the replayed offsets to the live consumer groups (the service
    must be stopped); without it the rebuild goes into a database of its own, e.g. to be
    compared with the live one.
    """
    await clear(db)
    topics = [settings.topic(name) for name in REPLAYED_TOPICS]
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    started = time.monotonic()
    blocking = MongoClient[dict[str, Any]](
        settings.mongodb_url, tz_aware=True, uuidRepresentation="standard"
    )
    writer = _Writer(blocking, db.name)
    events = projected = 0
    try:
        ends = await _end_offsets(consumer, topics)
        total = sum(ends.values())
        for tp in ends:
            await consumer.seek_to_beginning(tp)
        done = {tp for tp, end in ends.items() if end == 0}
        changes = MonthBuckets()
        zone = settings.zone
        flushed = figures_flushed = 0
        reached: dict[TopicPartition, str] = {}
        past_before = ""
        with _no_cyclic_gc():
            while len(done) < len(ends):
                batch = await consumer.getmany(
                    timeout_ms=1000, max_records=settings.replay_batch_size
                )
                for tp, records in batch.items():
                    end = ends.get(tp, 0)
                    for record in records:
                        if record.offset >= end:
                            done.add(tp)
                            break
                        events += 1
                        projected += _project(record.value, writer, changes, zone)
                        if record.offset == end - 1:
                            done.add(tp)
                    if records:
                        reached[tp] = _occurred_at(records[-1].value) or reached.get(tp, "")
                # States every replay_flush_events events, or sooner when the store has
                # written everything and waits: the first writes then start early.
                since = events - flushed
                if since >= settings.replay_flush_events or (
                    writer.idle
                    and since >= max(1, settings.replay_flush_events // EARLY_FLUSH_PART)
                ):
                    with_figures = events - figures_flushed >= settings.replay_figure_flush_events
                    past: list[Changes] = []
                    month = past_before_month(reached, [tp for tp in ends if tp not in done], zone)
                    if not with_figures and month > past_before:
                        # Figures of months long past: written now, behind the fold, as
                        # inserts; a late event's change to one of them is an update later.
                        past_before = month
                        past = changes.pop_before(month)
                    changes = await writer.flush(changes, figures=with_figures, past=past)
                    flushed = events
                    if with_figures:
                        figures_flushed = events
                if progressed is not None:
                    progressed(events, total)
            folded = time.monotonic()
            await writer.finish(changes)
    finally:
        writer.close()
        blocking.close()
        await consumer.stop()
    if commit_offsets:
        await commit_live_offsets(settings, ends)
    finished = time.monotonic()
    return ReplayResult(
        events,
        projected,
        finished - started,
        ends,
        finished - folded,
        writer.figure_documents,
        writer.past_figure_documents,
        writer.figure_updates,
    )


def _occurred_at(value: bytes | None) -> str | None:
    """The ``occurred_at`` of an event record (ISO, UTC), if it has one."""
    if value is None:
        return None
    moment = pydantic_core.from_json(value).get("occurred_at")
    return moment if isinstance(moment, str) else None


def past_before_month(
    reached: dict[TopicPartition, str], reading: list[TopicPartition], zone: ZoneInfo
) -> str:
    """``YYYY-MM``: the months before it are past for every partition still being read.

    The fold has reached ``reached`` on each partition ``reading`` (the last event's
    ``occurred_at`` read from it); a month counts as past once it ended ``PAST_MARGIN``
    before the slowest partition's position. An event later in a topic may still touch such
    a month (events are only roughly in time order): its change is then written as an
    update, so this choice costs time, never correctness. ``""`` while a partition is unread.
    """
    moments = [reached.get(tp, "") for tp in reading]
    if not moments or not all(moments):
        return ""
    try:
        slowest = min(datetime.fromisoformat(m) for m in moments).astimezone(zone)
    except ValueError:
        return ""
    return (slowest.date() - PAST_MARGIN).strftime("%Y-%m")


def _project(value: bytes | None, writer: _Writer, changes: MonthBuckets, zone: ZoneInfo) -> int:
    if value is None:
        return 0
    event = pydantic_core.from_json(value, cache_strings="keys")
    routed = route(event)
    if routed is None:
        return 0
    key, project = routed
    state, _ = project(writer.states.get(key), event, zone, changes)
    if state is None:
        return 0
    writer.states[key] = state
    writer.dirty.add(key)
    return 1


async def commit_live_offsets(settings: ReportingSettings, ends: dict[TopicPartition, int]) -> None:
    """Let the live consumers go on after the replayed offsets (the service must be stopped)."""
    for router in EVENT_ROUTERS:
        topic = settings.topic(router.topic)
        offsets = {tp: end for tp, end in ends.items() if tp.topic == topic and end > 0}
        if not offsets:
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{settings.topic_prefix}{router.consumer}@{router.topic}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(list(offsets))
            await consumer.commit(offsets)
        except CommitFailedError:
            raise SystemExit(
                "Сервис отчётов ещё работает: остановите его и запустите пересборку снова"
            ) from None
        finally:
            await consumer.stop()


async def run(settings: ReportingSettings) -> ReplayResult:
    """Replay into the service's database with a progress bar."""
    client = create_mongo_client(settings)
    columns = (
        TextColumn("Пересборка отчётов"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("replay", total=None)

            def progressed(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = await replay(settings, client[settings.database_name], progressed=progressed)
    finally:
        await client.close()
    print(
        f"Событий: {result.events}, учтено: {result.projected}, "
        f"за {result.seconds:.1f} с ({result.events_per_s:.0f} событий/с)"
    )
    return result


def main() -> None:
    """``python -m patronage_reporting.replay``."""
    asyncio.run(run(get_settings()))


if __name__ == "__main__":
    main()
