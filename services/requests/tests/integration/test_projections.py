"""One consumer keeps the timeline, the lists and the SLA clocks, claims nothing, and
absorbs events delivered again, against the real broker and store."""

import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from patronage_common.idempotency import PROCESSED_COLLECTION
from patronage_common.identity import IDENTITY_HEADER, Identity, Role, sign_identity
from patronage_common.store import create_mongo_client, projections_of
from patronage_common.testing import eventually
from patronage_contracts import Agency
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_requests.projections.handlers import CONSUMER
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

CREATION = {"RequestCreated", "RequestRouted", "RequestStatusChanged"}
SECRET = "requests-projections-identity-secret-01234"
HOUSING = Identity(subject="housing-1", role=Role.AGENCY_WORKER, agency=Agency.HOUSING)


@pytest.fixture
def shared_settings() -> dict[str, Any]:
    return {"identity_secret": SECRET}


async def test_a_new_request_reaches_every_read_model_and_no_event_is_claimed(
    services: dict[str, Any],
) -> None:
    settings: RequestsSettings = services["settings"]
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    registered = await services["passport"].post(
        "/passports", json=passport_payload(curator_id=curator)
    )
    assert registered.status_code == 201, registered.text
    family_id = registered.json()["family_id"]
    created = await services["requests"].post(
        "/requests",
        json={"family_id": family_id, "category": "housing", "description": "Течёт крыша"},
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]

    async def on_the_timeline() -> bool:
        response = await services["requests"].get(f"/families/{family_id}/timeline")
        return response.status_code == 200 and any(
            entry["request_id"] == request_id for entry in response.json()
        )

    async def in_the_lists() -> bool:
        mine = await services["requests"].get("/requests", params={"curator_id": curator})
        housing = await services["requests"].get("/requests", params={"agency": "housing"})
        return all(
            r.status_code == 200 and request_id in [line["request_id"] for line in r.json()]
            for r in (mine, housing)
        )

    async def clocks_running() -> dict[str, Any] | None:
        response = await services["requests"].get(f"/requests/{request_id}/sla")
        return response.json() if response.status_code == 200 else None

    await eventually(on_the_timeline, what="the request on its family's timeline")
    await eventually(in_the_lists, what="the request in its curator's and agency's lists")
    clocks = await eventually(clocks_running, what="the request's SLA clocks")
    assert clocks["status"] == "routed"

    events = await read_events_until(
        settings.kafka_bootstrap_servers,
        settings.topic(REQUEST_EVENTS_TOPIC.name),
        lambda seen: {e["type"] for e in seen if e.get("request_id") == request_id} >= CREATION,
    )
    ours = [e for e in events if e.get("request_id") == request_id and e["type"] in CREATION]
    assert len(ours) == 3
    client = create_mongo_client(settings)
    try:
        claims = projections_of(client[settings.database_name])[PROCESSED_COLLECTION]
        for event in ours:
            found = [
                c["_id"] async for c in claims.find({"_id": {"$regex": f":{event['event_id']}$"}})
            ]
            consumers = {str(c).rsplit(":", 1)[0] for c in found}
            # Only the proactive rules claim (a curator's request is a contact with the
            # family); the read models absorb a repeat by themselves.
            assert CONSUMER not in consumers
    finally:
        await client.close()


async def caught_up(settings: RequestsSettings) -> bool:
    """Whether the projections consumer committed everything on the request events."""
    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        group = f"{settings.topic_prefix}{CONSUMER}@{REQUEST_EVENTS_TOPIC.name}"
        committed = await admin.list_consumer_group_offsets(group)
        partitions = range(REQUEST_EVENTS_TOPIC.partitions)
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return all(
            not end or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items()
        )
    finally:
        await consumer.stop()
        await admin.close()


async def test_a_request_s_events_delivered_again_change_no_read_model(
    services: dict[str, Any],
) -> None:
    """A redelivery (a crash before the commit, a replay of the topic) applies the events
    again — nothing is claimed: the timeline, the lists and the clocks stay as they were,
    even with the request moved on since its creation events."""
    settings: RequestsSettings = services["settings"]
    api = services["requests"]
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    registered = await services["passport"].post(
        "/passports", json=passport_payload(curator_id=curator)
    )
    assert registered.status_code == 201, registered.text
    family_id = registered.json()["family_id"]
    created = await api.post(
        "/requests",
        json={"family_id": family_id, "category": "housing", "description": "Течёт крыша"},
    )
    assert created.status_code == 201, created.text
    request_id, task_id = created.json()["request_id"], created.json()["tasks"][0]["task_id"]
    accepted = await api.post(
        f"/requests/{request_id}/tasks/{task_id}/accept",
        headers={IDENTITY_HEADER: sign_identity(HOUSING, SECRET)},
    )
    assert accepted.status_code == 200, accepted.text

    async def read_models() -> dict[str, Any]:
        timeline = (await api.get(f"/families/{family_id}/timeline")).json()
        mine = (await api.get("/requests", params={"curator_id": curator})).json()
        sla = (await api.get(f"/requests/{request_id}/sla")).json()
        return {
            "timeline": [e for e in timeline if e["request_id"] == request_id],
            "listed": [line for line in mine if line["request_id"] == request_id],
            "clocks": (sla.get("status"), [c["due_at"] for c in sla.get("clocks", [])]),
        }

    async def settled() -> dict[str, Any] | None:
        models = await read_models()
        statuses = [line["status"] for line in models["listed"]]
        ready = statuses == ["accepted"] and models["clocks"][0] == "accepted"
        return models if ready and await caught_up(settings) else None

    before = await eventually(settled, what="the accepted request in every read model")
    assert len(before["timeline"]) >= 2  # its creation and its acceptance

    topic = settings.topic(REQUEST_EVENTS_TOPIC.name)
    events = await read_events_until(
        settings.kafka_bootstrap_servers,
        topic,
        lambda seen: len([e for e in seen if e.get("request_id") == request_id]) >= 5,
    )
    ours = [e for e in events if e.get("request_id") == request_id]
    assert {e["type"] for e in ours} >= {*CREATION, "AgencyTaskStatusChanged"}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event in ours:  # every one again, the creation last: older than the request now
            await producer.send_and_wait(topic, json.dumps(event).encode(), key=family_id.encode())
        for event in ours:
            if event["type"] in CREATION:
                await producer.send_and_wait(
                    topic, json.dumps(event).encode(), key=family_id.encode()
                )
    finally:
        await producer.stop()

    async def applied_again() -> bool:
        return await caught_up(settings)

    await eventually(applied_again, what="the events delivered again consumed")
    assert await read_models() == before
