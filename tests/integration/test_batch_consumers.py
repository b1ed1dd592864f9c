"""Batch consumers against the real broker and store: each event once, bad ones to the DLQ."""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.app import create_service_app
from patronage_common.consumers import BatchEventRouter, EventRouter
from patronage_common.idempotency import ProcessedBatches, ProcessedEvents
from patronage_common.locks import BULK_LIMIT, LOCKS, release_many, try_lock_many
from patronage_common.runtime import ServiceRuntime
from patronage_common.settings import ServiceSettings
from patronage_common.store import Database, create_mongo_client, projections_of
from patronage_common.testing import eventually, free_port, serve
from patronage_contracts import (
    Channel,
    Message,
    NeedCategory,
    RequestCreated,
    RequestStatusChanged,
    Urgency,
)
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from tests.support.agency_client import read_topic
from tests.support.events import routed

pytestmark = pytest.mark.integration


class DemoSettings(ServiceSettings):
    service_name: str = "batchdemo"


@pytest.fixture
async def db(make_settings: Callable[..., Any]) -> AsyncIterator[Database]:
    settings: DemoSettings = make_settings(DemoSettings)
    client = create_mongo_client(settings)
    try:
        yield client[settings.database_name]
    finally:
        await client.close()


def collecting(consumer: str, *types: type[Message]) -> tuple[BatchEventRouter, list[Message]]:
    """A batch router of ``types`` whose handler keeps what it gets, and that list."""
    seen: list[Message] = []

    async def handle(events: list[Message], runtime: ServiceRuntime) -> None:
        seen.extend(events)

    return BatchEventRouter(
        REQUEST_EVENTS_TOPIC.name, consumer=consumer, types=types, handler=handle
    ), seen


@contextlib.asynccontextmanager
async def serving(
    settings: DemoSettings,
    router: EventRouter | BatchEventRouter,
    *,
    projections: tuple[str, ...] = (),
) -> AsyncIterator[AIOKafkaProducer]:
    """The router's consumer running in a demo service, and a producer for the test's records."""
    app = create_service_app(
        settings,
        title="demo",
        kafka_routers=[router.kafka_router(settings)],
        projections=projections,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        async with serve(app, settings.http_port):
            yield producer
    finally:
        await producer.stop()


async def test_a_batch_is_claimed_at_once_and_only_a_done_batch_counts_as_applied(
    db: Database,
) -> None:
    processed = ProcessedBatches(db, "demo")
    first, second, third, marked = (uuid.uuid4() for _ in range(4))
    await ProcessedEvents(db, "demo").mark(marked)  # applied one by one, before batches

    fresh, claim = await processed.claim([first, second, marked])
    assert fresh == {first, second}
    await claim.done()

    # The next batch crashes before its effects are stored: it is never recorded done.
    fresh, _ = await processed.claim([second, third])
    assert fresh == {third}
    fresh, claim = await processed.claim([first, third])
    assert fresh == {third}  # applied again: its first batch may not have stored anything
    await claim.done()
    assert (await processed.claim([first, second, third, marked]))[0] == set()


def created(family_id: uuid.UUID) -> RequestCreated:
    return RequestCreated(
        family_id=family_id,
        request_id=uuid.uuid4(),
        category=NeedCategory.SOCIAL_LEGAL,
        urgency=Urgency.NORMAL,
        channel=Channel.CURATOR,
        created_by="curator-1",
    )


async def test_the_handler_gets_each_event_once_in_order_and_bad_ones_go_to_the_dlq(
    make_settings: Callable[..., Any],
) -> None:
    settings: DemoSettings = make_settings(DemoSettings, http_port=free_port())
    router, seen = collecting("demo.batches", RequestCreated, RequestStatusChanged)
    family = uuid.uuid4()
    new = created(family)
    moved = routed(family, request_id=new.request_id)
    broken = {**json.loads(new.model_dump_json()), "event_id": str(uuid.uuid4()), "urgency": "?"}
    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    async with serving(settings, router) as producer:
        for value in (
            new.model_dump_json().encode(),
            json.dumps(broken).encode(),
            new.model_dump_json().encode(),  # delivered twice
            moved.model_dump_json().encode(),
        ):
            await producer.send_and_wait(topic, value, key=str(family).encode())

        async def both_seen() -> bool | None:
            return True if len(seen) >= 2 else None

        await eventually(both_seen, what="both events handled")
        dead = await read_topic(settings.kafka_bootstrap_servers, f"{topic}.dlq", count=1)
    assert [e.event_id for e in seen] == [new.event_id, moved.event_id]
    assert json.loads(dead[0][0])["event_id"] == broken["event_id"]
    assert dead[0][1]["x-dlq-original-topic"] == topic


async def test_more_locks_than_one_bulk_write_holds_are_taken_and_given_back(db: Database) -> None:
    keys = [f"demo:{n}" for n in range(3 * BULK_LIMIT - 20)]
    owner, taken = await try_lock_many(db, keys)
    assert taken == keys
    _, again = await try_lock_many(db, [*keys[:10], "demo:free"])
    assert again == ["demo:free"]
    await release_many(db, taken, owner)
    assert await db[LOCKS].count_documents({"_id": {"$in": keys}}) == 0


async def test_an_event_the_handler_does_not_want_is_skipped_before_any_store_round_trip(
    make_settings: Callable[..., Any], db: Database
) -> None:
    settings: DemoSettings = make_settings(DemoSettings, http_port=free_port())
    seen: list[RequestStatusChanged] = []
    router = EventRouter(REQUEST_EVENTS_TOPIC.name, consumer="demo.wanted")

    @router.handles(RequestStatusChanged, wants=lambda body: body.get("plan_item_id") is not None)
    async def on_changed(event: RequestStatusChanged, runtime: ServiceRuntime) -> None:
        seen.append(event)

    family = uuid.uuid4()

    unwanted, wanted = routed(family), routed(family, plan_item_id=uuid.uuid4())
    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    async with serving(settings, router) as producer:
        for event in (unwanted, wanted):
            await producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=str(family).encode()
            )

        async def handled() -> bool | None:
            return True if seen else None

        await eventually(handled, what="the wanted event handled")
    assert [e.event_id for e in seen] == [wanted.event_id]
    # Only the wanted event was recorded as processed; the other never reached the store.
    processed = ProcessedEvents(projections_of(db), "demo.wanted")
    assert await processed.seen(wanted.event_id)
    assert not await processed.seen(unwanted.event_id)


async def test_a_batch_consumer_decodes_only_the_records_whose_type_header_it_handles(
    make_settings: Callable[..., Any], db: Database
) -> None:
    settings: DemoSettings = make_settings(DemoSettings, http_port=free_port())
    router, seen = collecting("demo.typed", RequestStatusChanged)
    family = uuid.uuid4()
    wanted, headerless = routed(family), routed(family)
    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    async with serving(settings, router) as producer:
        for value, headers in (
            # Another consumer's type: never decoded, so its bytes do not matter here.
            (b"{not json", [("type", b"RequestCreated")]),
            (wanted.model_dump_json().encode(), [("type", b"RequestStatusChanged")]),
            (b"\xff not json either", []),  # no header: decoded, refused alone
            (headerless.model_dump_json().encode(), []),  # no header: decoded, handled
        ):
            await producer.send_and_wait(topic, value, key=str(family).encode(), headers=headers)

        async def both_seen() -> bool | None:
            return True if len(seen) >= 2 else None

        await eventually(both_seen, what="both status changes handled")
        dead = await read_topic(settings.kafka_bootstrap_servers, f"{topic}.dlq", count=1)
    assert [e.event_id for e in seen] == [wanted.event_id, headerless.event_id]
    # Only the record it had to decode went to the DLQ, with its own bytes.
    assert dead[0][0] == b"\xff not json either"
    assert dead[0][1]["x-dlq-reason"] == "message is not JSON"
    assert await ProcessedEvents(projections_of(db), "demo.typed").seen(wanted.event_id)


async def test_a_service_moves_what_an_earlier_version_kept_beside_its_documents(
    make_settings: Callable[..., Any], db: Database
) -> None:
    """Projections and processed-event records move into the projections database at start:
    none is lost, one already there is kept, and an event applied before is not applied again."""
    settings: DemoSettings = make_settings(DemoSettings, http_port=free_port())
    router, seen = collecting("demo.moved", RequestStatusChanged)
    family = uuid.uuid4()
    applied, new = routed(family), routed(family)
    await ProcessedEvents(db, "demo.moved").mark(applied.event_id)  # the earlier layout
    old = [{"_id": n, "at": "old"} for n in range(120)]  # more than one batch of the move
    await db["demo_lines"].insert_many(old)
    await projections_of(db)["demo_lines"].insert_one({"_id": 7, "at": "new"})

    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    async with serving(settings, router, projections=("demo_lines",)) as producer:
        for event in (applied, new):
            await producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=str(family).encode()
            )

        async def handled() -> bool | None:
            return True if seen else None

        await eventually(handled, what="the new event handled")
    assert [e.event_id for e in seen] == [new.event_id]
    moved = {d["_id"]: d["at"] async for d in projections_of(db)["demo_lines"].find({})}
    assert moved == {n: "new" if n == 7 else "old" for n in range(120)}
    assert await db["demo_lines"].count_documents({}) == 0
    assert await db["processed_events"].count_documents({}) == 0
