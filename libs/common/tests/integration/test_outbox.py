"""The outbox publishes what a crash left pending, and nothing twice to consumers' eyes."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.locks import locked
from patronage_common.messaging import EventPublisher, create_broker
from patronage_common.outbox import MARKERS, NewDocument, Outbox, markers_of, outbox_entries
from patronage_common.settings import ServiceSettings
from patronage_common.store import Database, Document, create_mongo_client
from patronage_contracts import PassportRegistered

from tests.support.agency_client import read_events_until

pytestmark = pytest.mark.integration


def registered() -> PassportRegistered:
    return PassportRegistered(
        family_id=uuid4(), district="d", hq="h", categories=("svo_family",), registered_by="t"
    )


@dataclass(frozen=True)
class Relay:
    """An outbox on the test's own database and topics."""

    settings: ServiceSettings
    db: Database
    outbox: Outbox
    broker: KafkaBroker

    async def published(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """The events on the passport topic, read from the start until ``done``."""
        return await read_events_until(
            self.settings.kafka_bootstrap_servers, self.settings.topic("passport.events"), done
        )


@pytest.fixture
async def relay(make_settings: Callable[..., Any]) -> AsyncIterator[Relay]:
    settings: ServiceSettings = make_settings(ServiceSettings, service_name="outboxtest")
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    broker: KafkaBroker = create_broker(settings, TracerProvider())
    await broker.connect()
    try:
        yield Relay(settings, db, Outbox(db, EventPublisher(broker, settings)), broker)
    finally:
        await broker.stop()
        await client.close()


async def test_pending_events_left_by_a_crash_are_published_once_by_the_relay(
    relay: Relay,
) -> None:
    db, outbox = relay.db, relay.outbox
    # A write that crashed after storing its state and events but before flushing:
    first, second = registered(), registered()
    for event in (first, second):
        doc_id = str(event.family_id)
        await markers_of(db).insert_one(
            {"_id": f"things:{doc_id}", "collection": "things", "doc_id": doc_id}
        )
        await db["things"].insert_one({"_id": doc_id, "outbox": outbox_entries([event])})
    # A completed write alongside them:
    third = registered()
    await outbox.insert("things", {"_id": str(third.family_id)}, [third])
    await outbox.drain()  # its own background flush publishes it

    assert await outbox.sweep() == 2  # the restart's sweep finds exactly the two
    assert await outbox.sweep() == 0  # and then nothing is left
    assert await markers_of(db).count_documents({}) == 0
    for event in (first, second, third):
        stored = await db["things"].find_one({"_id": str(event.family_id)})
        assert stored is not None
        assert stored["outbox"] == []

    events = await relay.published(lambda seen: len(seen) >= 3)
    assert {e["event_id"] for e in events} == {
        str(first.event_id),
        str(second.event_id),
        str(third.event_id),
    }


async def test_markers_an_earlier_version_kept_beside_the_documents_are_moved_and_published(
    relay: Relay,
) -> None:
    db, outbox = relay.db, relay.outbox
    # Left by a crash of a version that kept its markers in the documents' database:
    event = registered()
    doc_id = str(event.family_id)
    await db[MARKERS].insert_one(
        {"_id": f"things:{doc_id}", "collection": "things", "doc_id": doc_id}
    )
    await db["things"].insert_one({"_id": doc_id, "outbox": outbox_entries([event])})
    assert markers_of(db).database.name == f"{db.name}_outbox"

    relay_task = asyncio.create_task(outbox.run_relay(interval_s=0.1))
    try:
        events = await relay.published(lambda seen: len(seen) >= 1)
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
    assert [e["event_id"] for e in events] == [str(event.event_id)]
    assert await db[MARKERS].count_documents({}) == 0
    assert await markers_of(db).count_documents({}) == 0
    assert await outbox.move_earlier_markers() == 0


@pytest.mark.parametrize("producer", ["own producer", "broker"])
async def test_events_wait_as_their_json_and_entries_of_an_earlier_version_still_publish(
    relay: Relay, producer: str
) -> None:
    db = relay.db
    publisher = EventPublisher(relay.broker, relay.settings)
    if producer == "own producer":  # as the services run; else through the broker
        await publisher.start()
    outbox = Outbox(db, publisher)
    new, earlier = registered(), registered()
    [entry] = outbox_entries([new])
    assert isinstance(entry["body"], str)
    assert json.loads(entry["body"]) == new.model_dump(mode="json")
    # The form an earlier version stored: the message as a document.
    earlier_entry = {
        "event_id": str(earlier.event_id),
        "topic": "passport.events",
        "key": earlier.key,
        "payload": earlier.model_dump(mode="json"),
    }
    try:
        for event, stored in ((new, entry), (earlier, earlier_entry)):
            doc_id = str(event.family_id)
            await markers_of(db).insert_one(
                {"_id": f"things:{doc_id}", "collection": "things", "doc_id": doc_id}
            )
            await db["things"].insert_one({"_id": doc_id, "outbox": [stored]})
        assert await outbox.sweep() == 2
    finally:
        await publisher.stop()

    consumer = AIOKafkaConsumer(
        relay.settings.topic("passport.events"),
        bootstrap_servers=relay.settings.kafka_bootstrap_servers,
        group_id=f"reader-{uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records = {}
    try:
        async with asyncio.timeout(30):
            while len(records) < 2:
                record = await consumer.getone()
                records[json.loads(record.value)["event_id"]] = record
    finally:
        await consumer.stop()
    for event in (new, earlier):
        record = records[str(event.event_id)]
        assert PassportRegistered.model_validate_json(record.value) == event
        assert record.key == event.key
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["type"] == "PassportRegistered"
        assert headers["event_id"] == str(event.event_id)


async def test_rapid_writes_to_one_document_are_published_in_order(relay: Relay) -> None:
    db, outbox = relay.db, relay.outbox
    family_id = uuid4()
    events = [
        PassportRegistered(
            family_id=family_id,
            district=f"d{i}",
            hq="h",
            categories=("svo_family",),
            registered_by="t",
        )
        for i in range(6)
    ]
    await outbox.insert("things", {"_id": str(family_id), "n": 0}, events[:1])
    for n, event in enumerate(events[1:], start=1):
        # No waiting between writes: flushes overlap and must neither reorder events
        # nor undo a write (FerretDB rewrites whole documents; the flush takes the lock).
        async with locked(db, f"things:{family_id}"):
            await outbox.update("things", str(family_id), {"$set": {"n": n}}, [event])
    await outbox.drain()
    stored = await db["things"].find_one({"_id": str(family_id)})
    assert stored is not None
    assert stored["n"] == 5
    assert stored["outbox"] == []
    assert await markers_of(db).count_documents({}) == 0

    published = await relay.published(lambda seen: len(seen) >= 6)
    assert [e["district"] for e in published] == [f"d{i}" for i in range(6)]


async def test_a_flush_leaves_the_marker_of_a_write_that_marked_the_document_after_it(
    relay: Relay,
) -> None:
    db, outbox = relay.db, relay.outbox
    event = registered()
    doc_id = str(event.family_id)
    generation = await outbox.mark("things", doc_id)
    later = await outbox.mark("things", doc_id)  # another write, not yet stored
    assert generation is not None
    assert later == generation + 1
    await outbox.insert("things", {"_id": doc_id}, [event], marked=True, generation=generation)
    await outbox.drain()  # publishes from what the insert wrote, without reading it back
    stored = await db["things"].find_one({"_id": doc_id})
    assert stored is not None
    assert stored["outbox"] == []
    marker = await markers_of(db).find_one({"_id": f"things:{doc_id}"})
    assert marker is not None
    assert marker["generation"] == later
    assert await outbox.sweep() == 0  # nothing pending: the sweep drops the marker
    assert await markers_of(db).count_documents({}) == 0


async def test_a_group_write_whose_before_hook_fails_stores_and_publishes_nothing(
    relay: Relay,
) -> None:
    db, outbox = relay.db, relay.outbox
    refused, accepted = registered(), registered()
    checked: list[str] = []

    async def duplicate(_documents: Sequence[Document]) -> None:
        raise LookupError("already registered")

    async def unique(documents: Sequence[Document]) -> None:
        checked.extend(str(d["_id"]) for d in documents)

    with pytest.raises(LookupError):
        await outbox.insert_many(
            "things", [NewDocument({"_id": str(refused.family_id)}, [refused])], before=duplicate
        )
    assert await db["things"].find_one({"_id": str(refused.family_id)}) is None
    await outbox.insert_many(
        "things", [NewDocument({"_id": str(accepted.family_id)}, [accepted])], before=unique
    )
    assert checked == [str(accepted.family_id)]
    await outbox.drain()
    # The refused group's marker names a document no group stored: dropped, not published.
    assert await outbox.sweep() == 0
    assert await markers_of(db).count_documents({}) == 0

    events = await relay.published(
        lambda seen: any(e["event_id"] == str(accepted.event_id) for e in seen)
    )
    assert [e["event_id"] for e in events] == [str(accepted.event_id)]
