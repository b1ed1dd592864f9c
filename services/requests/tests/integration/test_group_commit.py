"""New requests stored in groups, and intake commands, against the real broker and store."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.outbox import Outbox, markers_of
from patronage_common.runtime import ServiceRuntime
from patronage_common.testing import eventually, free_port, serve
from patronage_contracts import Channel, NeedCategory, topic_of
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.help_requests.flows import create_help_request, new_help_request
from patronage_requests.help_requests.models import HelpRequestCreate
from patronage_requests.help_requests.service import (
    FAMILY_REQUEST_LINKS,
    REQUESTS,
    fold_family_links,
    request_ids_of_family,
)
from patronage_requests.intake import flows as intake_flows
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings
from pymongo.errors import DuplicateKeyError

from tests.support.agency_client import AgencyClient, read_events_until, read_topic
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

CURATOR = {"X-Actor": "curator-1"}


class World:
    def __init__(
        self,
        passport: httpx.AsyncClient,
        requests: httpx.AsyncClient,
        runtime: ServiceRuntime,
        settings: RequestsSettings,
    ) -> None:
        self.passport = passport
        self.requests = requests
        self.runtime = runtime
        self.settings = settings

    async def family(self) -> str:
        response = await self.passport.post("/passports", json=passport_payload())
        assert response.status_code == 201, response.text
        return str(response.json()["family_id"])

    async def events(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        return await read_events_until(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic("requests.events"),
            done,
            timeout_s=60,
        )


@pytest.fixture
async def world(make_settings: Callable[..., Any]) -> AsyncIterator[World]:
    passport_port, requests_port = free_port(), free_port()
    settings = make_settings(
        RequestsSettings,
        http_port=requests_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
    )
    app = create_requests(settings)
    async with (
        serve(create_passport(make_settings(PassportSettings)), passport_port) as passport_url,
        serve(app, requests_port) as requests_url,
        httpx.AsyncClient(base_url=passport_url, headers=CURATOR) as passport,
        httpx.AsyncClient(base_url=requests_url, headers=CURATOR, timeout=60) as requests,
    ):
        yield World(passport, requests, app.state.runtime, settings)


def created_per_request(events: list[dict[str, Any]]) -> Counter[str]:
    """How many distinct RequestCreated events each request has (event ids are unique)."""
    return per_request(events, "RequestCreated")


def per_request(events: list[dict[str, Any]], type_: str) -> Counter[str]:
    """How many distinct events of ``type_`` each request has."""
    return Counter(e["request_id"] for e in events if e["type"] == type_)


async def test_concurrent_creates_are_all_stored_and_routed_once(world: World) -> None:
    families = [await world.family() for _ in range(3)]

    async def create(n: int) -> str:
        response = await world.requests.post(
            "/requests",
            json={
                "family_id": families[n % 3],
                "category": "health",
                "description": f"Заявка номер {n}",
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["request_id"])

    ids = await asyncio.gather(*(create(n) for n in range(60)))
    assert len(set(ids)) == 60

    for request_id in ids:
        stored = (await world.requests.get(f"/requests/{request_id}")).json()
        assert stored["status"] == "routed"
    listed = set()
    for family_id in families:
        listed |= set(
            await request_ids_of_family(db=world.runtime.db, family_id=uuid.UUID(family_id))
        )
    assert listed == set(ids)

    events = await world.events(lambda es: set(per_request(es, "RequestRouted")) >= set(ids))
    assert all(created_per_request(events)[r] == 1 for r in ids)
    assert all(per_request(events, "RequestRouted")[r] == 1 for r in ids)

    async def outboxes_cleared() -> bool:
        for request_id in ids:
            document = await world.runtime.db[REQUESTS].find_one({"_id": request_id})
            if document is None or document.get("outbox"):
                return False
        return await markers_of(world.runtime.db).count_documents({}) == 0

    await eventually(outboxes_cleared, what="outboxes and markers cleared")


async def test_a_second_create_with_the_same_request_id_is_refused(world: World) -> None:
    family_id = uuid.UUID(await world.family())
    request_id = uuid.uuid4()
    data = HelpRequestCreate(family_id=family_id, category=NeedCategory.HEALTH, description="Раз")
    await create_help_request(runtime=world.runtime, data=data, actor="rule", request_id=request_id)
    again = data.model_copy(update={"description": "Два"})
    with pytest.raises(DuplicateKeyError):
        await create_help_request(
            runtime=world.runtime, data=again, actor="rule", request_id=request_id
        )
    stored = (await world.requests.get(f"/requests/{request_id}")).json()
    assert stored["description"] == "Раз"
    events = await world.events(lambda es: str(request_id) in created_per_request(es))
    # The refused second attempt published nothing: wait for anything it might have sent.
    await asyncio.sleep(1.0)
    events = await world.events(lambda es: str(request_id) in created_per_request(es))
    assert created_per_request(events)[str(request_id)] == 1


async def test_a_crash_between_insert_and_publish_leaves_events_the_relay_publishes(
    world: World,
) -> None:
    runtime = world.runtime
    family_id = uuid.UUID(await world.family())
    data = HelpRequestCreate(
        family_id=family_id, category=NeedCategory.HEALTH, description="После сбоя"
    )
    new = await new_help_request(runtime=runtime, data=data, actor="curator-1", request_id=None)
    request_id = new.document["_id"]
    crashed = Outbox(runtime.db, runtime.publisher)
    await crashed.insert_many(REQUESTS, [new])
    # The process dies right after the insert: its publishing never runs.
    for task in list(crashed._group_flushes):
        task.cancel()
    await asyncio.sleep(0)

    stored = await runtime.db[REQUESTS].find_one({"_id": request_id})
    assert stored is not None
    # The group's events wait in its marker, not in the document.
    assert len(await group_markers_of(runtime, request_id)) == 1

    async with AgencyClient(
        world.settings.kafka_bootstrap_servers, world.settings.topic_prefix, "health"
    ) as health:
        sent = await runtime.outbox.sweep()
        assert sent == len(new.events)
        task, _ = await health.next_task()
    assert task["request_id"] == request_id
    after = await runtime.db[REQUESTS].find_one({"_id": request_id})
    assert after is not None
    assert after["outbox"] == []
    assert await group_markers_of(runtime, request_id) == []


async def group_markers_of(runtime: ServiceRuntime, request_id: str) -> list[dict[str, Any]]:
    """The group markers naming the request (a small collection: scanned)."""
    return [
        m
        async for m in markers_of(runtime.db).find({"group": {"$exists": True}})
        if any(d["doc_id"] == request_id for d in m["documents"])
    ]


async def test_a_redelivered_group_after_a_crash_publishes_only_the_first_groups_events(
    world: World,
) -> None:
    runtime = world.runtime
    family_id = uuid.UUID(await world.family())
    request_id = uuid.uuid4()
    data = HelpRequestCreate(family_id=family_id, category=NeedCategory.HEALTH, description="Раз")
    first = await new_help_request(
        runtime=runtime, data=data, actor="chat-bot", request_id=request_id
    )
    crashed = Outbox(runtime.db, runtime.publisher)
    await crashed.insert_many(REQUESTS, [first])
    for task in list(crashed._group_flushes):
        task.cancel()
    await asyncio.sleep(0)

    # The command comes again (the batch was not committed): refused, nothing published.
    again = await new_help_request(
        runtime=runtime,
        data=data.model_copy(update={"description": "Два"}),
        actor="chat-bot",
        request_id=request_id,
    )
    assert await runtime.outbox.insert_many(REQUESTS, [again]) == {str(request_id)}
    await runtime.outbox.drain()
    assert len(await group_markers_of(runtime, str(request_id))) == 1

    assert await runtime.outbox.sweep() == len(first.events)
    assert await group_markers_of(runtime, str(request_id)) == []
    expected = {str(e.event_id) for e in first.events if topic_of(e) == REQUEST_EVENTS_TOPIC.name}

    def of_request(events: list[dict[str, Any]]) -> set[str]:
        return {e["event_id"] for e in events if e.get("request_id") == str(request_id)}

    await world.events(lambda es: of_request(es) >= expected)
    # Anything the refused second attempt might have sent would be there by now.
    await asyncio.sleep(1.0)
    assert of_request(await world.events(lambda es: of_request(es) >= expected)) == expected
    stored = (await world.requests.get(f"/requests/{request_id}")).json()
    assert stored["description"] == "Раз"
    assert "outbox_group" not in stored


def submit_command(family_id: str, request_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "SubmitHelpRequest",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "producer": "chat-bot",
        "family_id": family_id,
        "request_id": request_id,
        "category": NeedCategory.PSYCHOLOGICAL.value,
        "description": "Прошу помочь с консультацией психолога",
        "channel": Channel.CHATBOT.value,
        "submitted_by": "chat-bot",
        **overrides,
    }


async def submit_commands(settings: RequestsSettings, commands: list[dict[str, Any]]) -> None:
    """Put ``commands`` on the intake topic, in order, each keyed by its family."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for command in commands:
            await producer.send(
                settings.topic("requests.intake"),
                json.dumps(command).encode(),
                key=command["family_id"].encode(),
            )
        await producer.flush()
    finally:
        await producer.stop()


async def test_intake_commands_are_routed_once_and_bad_ones_go_to_the_dlq(world: World) -> None:
    settings = world.settings
    families = [await world.family() for _ in range(2)]
    good = [submit_command(families[n % 2], str(uuid.uuid4())) for n in range(20)]
    repeated = {**good[3], "event_id": str(uuid.uuid4()), "description": "Повтор команды"}
    unknown_family = submit_command(str(uuid.uuid4()), str(uuid.uuid4()))
    no_description = submit_command(families[0], str(uuid.uuid4()), description="")
    batch = [*good[:10], no_description, repeated, unknown_family, *good[10:]]

    await submit_commands(settings, batch)
    # Resubmitted later, after the first was stored: dropped as well.
    await submit_commands(settings, [{**good[0], "event_id": str(uuid.uuid4())}])

    ids = {c["request_id"] for c in good}
    events = await world.events(lambda es: set(created_per_request(es)) >= ids)
    created = created_per_request(events)
    assert all(created[r] == 1 for r in ids)
    assert unknown_family["request_id"] not in created
    assert no_description["request_id"] not in created
    stored = (await world.requests.get(f"/requests/{good[3]['request_id']}")).json()
    assert stored["description"] == good[3]["description"]
    assert stored["channel"] == "chatbot"
    assert stored["created_by"] == "chat-bot"

    dead = await read_topic(
        settings.kafka_bootstrap_servers, settings.topic("requests.intake.dlq"), count=2
    )
    reasons = {json.loads(value)["request_id"]: headers["x-dlq-reason"] for value, headers in dead}
    assert "description" in reasons[no_description["request_id"]]
    assert "не найдена" in reasons[unknown_family["request_id"]]
    assert all(h["x-dlq-original-topic"] == settings.topic("requests.intake") for _, h in dead)


async def test_a_familys_requests_stay_listed_in_order_when_their_links_are_folded(
    world: World,
) -> None:
    family_id = uuid.UUID(await world.family())
    ids = []
    for n in range(3):
        data = HelpRequestCreate(
            family_id=family_id, category=NeedCategory.HEALTH, description=f"Заявка {n}"
        )
        ids.append(str(await create_help_request(runtime=world.runtime, data=data, actor="c")))
    assert await request_ids_of_family(db=world.runtime.db, family_id=family_id) == ids
    # Created a moment ago, not folded yet: the family's page lists them already.
    lines = (await world.requests.get(f"/families/{family_id}/requests")).json()
    assert [line["request_id"] for line in lines] == list(reversed(ids))

    await fold_family_links(db=world.runtime.db)

    assert await request_ids_of_family(db=world.runtime.db, family_id=family_id) == ids
    left = world.runtime.db[FAMILY_REQUEST_LINKS].find({"family_id": str(family_id)})
    assert [link async for link in left] == []
    listed = (await world.requests.get("/requests", params={"family_id": str(family_id)})).json()
    assert [r["request_id"] for r in listed] == list(reversed(ids))
    lines = (await world.requests.get(f"/families/{family_id}/requests")).json()
    assert lines == [
        {k: r[k] for k in ("request_id", "category", "status", "created_at")} for r in listed
    ]


async def test_routing_an_intake_batch_is_foreground_work_the_read_models_give_way_to(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreground = world.runtime.foreground
    in_flight: list[int] = []
    submit = intake_flows.submit_help_request

    async def watched(**kwargs: Any) -> bool:
        in_flight.append(foreground.in_flight)
        return await submit(**kwargs)

    monkeypatch.setattr(intake_flows, "submit_help_request", watched)
    family = await world.family()
    commands = [submit_command(family, str(uuid.uuid4())) for _ in range(5)]
    assert foreground.in_flight == 0  # no HTTP request to the requests service in flight

    await submit_commands(world.settings, commands)

    ids = {c["request_id"] for c in commands}
    await world.events(lambda es: set(created_per_request(es)) >= ids)
    assert len(in_flight) == 5
    assert all(n >= 1 for n in in_flight)  # each routed while the batch counted as served

    async def batch_ended() -> bool:
        return foreground.in_flight == 0

    await eventually(batch_ended, what="the intake batch to end")
