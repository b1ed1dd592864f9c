"""A request from the chat-bot appears in the curator's browser live (server-sent events).

The request is registered through the real requests service (POST /requests with channel
chatbot, as the bot does); its RequestCreated event travels over the real Kafka.
"""

import asyncio
import json
from typing import Any

import httpx
import pytest

from services.notifications.tests.integration.conftest import World
from services.notifications.tests.integration.test_delivery import new_family

pytestmark = pytest.mark.integration


async def test_curator_stream_receives_new_chatbot_request(world: World) -> None:
    family = await new_family(world)
    curator = family["curator_id"]
    received: list[dict[str, Any]] = []

    async def listen(ready: asyncio.Event) -> None:
        async with (
            httpx.AsyncClient(base_url=world.notifications_url, timeout=30) as client,
            client.stream("GET", f"/curators/{curator}/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                    if event == "ready":
                        ready.set()
                elif line.startswith("data:") and event == "notification":
                    received.append(json.loads(line.removeprefix("data:").strip()))
                    return

    ready = asyncio.Event()
    listener = asyncio.create_task(listen(ready))
    await asyncio.wait_for(ready.wait(), 30)
    created = await world.requests.post(
        "/requests",
        json={
            "family_id": family["family_id"],
            "category": "housing",
            "description": "Протекает крыша",
            "channel": "chatbot",
        },
        headers={"X-Actor": f"family:{family['family_id']}"},
    )
    assert created.status_code == 201, created.text
    await asyncio.wait_for(listener, 60)
    (item,) = received
    assert created.json()["request_id"][:8] in item["text"]
    assert item["text"].startswith("Новая заявка «жильё»")
    assert "пришла из чат-бота" in item["text"]
    # Delivered: the browser had the stream open.
    found = (await world.notifications.get(f"/notifications/{item['notification_id']}")).json()
    assert found["status"] == "delivered"
