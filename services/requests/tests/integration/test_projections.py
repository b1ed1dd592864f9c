"""One consumer keeps the timeline, the lists and the SLA clocks, and claims each event
once for all three, against the real broker and store."""

import uuid
from typing import Any

import pytest
from patronage_common.idempotency import PROCESSED_COLLECTION
from patronage_common.store import create_mongo_client, projections_of
from patronage_common.testing import eventually
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_requests.projections.handlers import CONSUMER
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

CREATION = {"RequestCreated", "RequestRouted", "RequestStatusChanged"}


async def test_a_new_request_reaches_every_read_model_and_each_event_is_claimed_once(
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
            consumers = sorted(str(c).rsplit(":", 1)[0] for c in found)
            # A curator's request is also a contact with the family (the proactive rules).
            assert [c for c in consumers if c != "requests.proactive-contacts"] == [CONSUMER]
    finally:
        await client.close()
