"""Several replicas: a curator's live stream on any replica gets every in-app notification,
and a chat-bot conversation goes on whichever replica gets the chat's next update."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from patronage_contracts import RequestStatus

from services.notifications.tests.integration.conftest import World, replica
from services.notifications.tests.integration.test_chat_bot import family_requests, reply
from services.notifications.tests.integration.test_delivery import new_family, status_changed

pytestmark = pytest.mark.integration
WEBHOOK = {
    "telegram_updates": "webhook",
    "telegram_webhook_url": "https://patronage.example/telegram/webhook",
    "telegram_webhook_secret": "replicas-webhook-secret",
}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def first_notification(
    base_url: str, curator_id: str, ready: asyncio.Event
) -> dict[str, Any]:
    """The first in-app notification the curator's stream on ``base_url`` shows."""
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=60) as client,
        client.stream("GET", f"/curators/{curator_id}/stream") as response,
    ):
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
                if event == "ready":
                    ready.set()
            elif line.startswith("data:") and event == "notification":
                item: dict[str, Any] = json.loads(line.removeprefix("data:").strip())
                return item
    raise AssertionError("the stream ended without a notification")


async def test_in_app_notification_reaches_the_curator_on_every_replica(world: World) -> None:
    family = await new_family(world)
    curator = family["curator_id"]
    async with replica(world) as other:
        readies = [asyncio.Event(), asyncio.Event()]
        listeners = [
            asyncio.create_task(first_notification(url, curator, ready))
            for url, ready in zip(
                [world.notifications_url, str(other.base_url)], readies, strict=True
            )
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        # Whichever replica consumes the event decides the notification; both streams get it.
        await world.publish(status_changed(family, RequestStatus.ACCEPTED))
        on_first, on_other = await asyncio.wait_for(asyncio.gather(*listeners), 120)

    assert on_first == on_other
    assert "статус «принята ведомством»" in on_first["text"]
    found = (await world.notifications.get(f"/notifications/{on_first['notification_id']}")).json()
    assert found["channel"] == "in_app"
    assert found["status"] == "delivered"  # a browser had the stream open
    assert found["history"][-1]["source"] == "in_app_stream"


async def say(client: httpx.AsyncClient, update: dict[str, Any]) -> None:
    """Telegram delivers an update to a replica's webhook."""
    response = await client.post(
        "/telegram/webhook",
        json=update,
        headers={SECRET_HEADER: WEBHOOK["telegram_webhook_secret"]},
    )
    assert response.status_code == 200, response.text


async def test_conversation_goes_on_across_replicas_and_a_restart(world: World) -> None:
    family = await new_family(world)
    chat_id = 7780001
    bot = world.bot_api
    issued = await world.notifications.post(
        "/link-codes",
        json={"family_id": family["family_id"]},
        headers={"X-Actor": family["curator_id"]},
    )
    async with replica(world, **WEBHOOK) as first, replica(world, **WEBHOOK) as second:
        await say(first, bot.message_update(chat_id, issued.json()["code"]))
        await reply(world, chat_id, 0, "чат привязан к паспорту")
        await say(second, bot.message_update(chat_id, "📝 Новая заявка"))
        await reply(world, chat_id, 1, "что случилось")
        await say(first, bot.message_update(chat_id, "Протекает крыша над детской"))
        await reply(world, chat_id, 2, "Похоже, это заявка в категории «жильё»")

    # Both replicas are gone; a fresh one picks the conversation up where it stopped.
    async with replica(world, **WEBHOOK) as restarted:
        await say(restarted, bot.button_update(chat_id, "cat:housing"))
        await reply(world, chat_id, 3, "пришлите фото")
        await say(restarted, bot.button_update(chat_id, "photo:none"))
        accepted = await reply(world, chat_id, 4, "Заявка принята")

    (created,) = await family_requests(world, family["family_id"])
    assert created["description"] == "Протекает крыша над детской"
    assert created["category"] == "housing"
    assert created["request_id"][:8] in accepted["text"]
