"""Plan items follow help requests from the requests topic, in batches, skipping the rest."""

import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.testing import eventually
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_passport.settings import PassportSettings

from tests.support.events import routed
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


async def test_a_routed_request_moves_its_plan_item_and_requests_without_one_are_skipped(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    family = (await client.post("/passports", json=passport_payload())).json()["family_id"]
    plan = await client.post(
        f"/passports/{family}/plan/items",
        json={"title": "Юрист", "agency": "social_protection", "deadline": "2026-12-31"},
    )
    item_id = plan.json()["plan_items"][0]["plan_item_id"]
    request_id = uuid.uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event in (
            # No plan item, and a family this service does not know: skipped, not refused.
            routed(uuid.uuid4()),
            routed(uuid.UUID(family), request_id=request_id, plan_item_id=uuid.UUID(item_id)),
        ):
            await producer.send_and_wait(
                settings.topic(REQUEST_EVENTS_TOPIC.name),
                event.model_dump_json().encode(),
                key=str(event.family_id).encode(),
            )
    finally:
        await producer.stop()

    async def followed() -> dict[str, Any] | None:
        items = (await client.get(f"/passports/{family}")).json()["plan_items"]
        item: dict[str, Any] = next(i for i in items if i["plan_item_id"] == item_id)
        return item if str(request_id) in item.get("request_ids", []) else None

    item = await eventually(followed, what="the plan item linked to the request")
    assert item["status"] == "in_progress"
