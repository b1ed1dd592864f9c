"""Webhook mode: the service registers its webhook with the Bot API and takes updates only
with the secret it registered."""

import pytest

from services.notifications.tests.integration.conftest import World, replica
from services.notifications.tests.integration.test_chat_bot import reply
from services.notifications.tests.integration.test_replicas import SECRET_HEADER, WEBHOOK

pytestmark = pytest.mark.integration


async def test_webhook_is_registered_and_answers_only_with_the_secret(world: World) -> None:
    chat_id = 7790001
    start = world.bot_api.message_update(chat_id, "/start")
    async with replica(world, **WEBHOOK) as service:
        (registered,) = [
            params
            for method, params in world.bot_api.calls
            if method == "setWebhook" and params["url"] == WEBHOOK["telegram_webhook_url"]
        ]
        assert registered["secret_token"] == WEBHOOK["telegram_webhook_secret"]
        assert "message" in registered["allowed_updates"]

        for headers in ({SECRET_HEADER: "not-the-secret"}, {}):
            refused = await service.post("/telegram/webhook", json=start, headers=headers)
            assert refused.status_code == 403
            assert refused.json()["detail"] == "неверный секрет вебхука"
        assert world.bot_api.sent(chat_id) == []

        taken = await service.post(
            "/telegram/webhook",
            json=start,
            headers={SECRET_HEADER: WEBHOOK["telegram_webhook_secret"]},
        )
        assert taken.status_code == 200, taken.text
        await reply(world, chat_id, 0, "Здравствуйте!")
        assert len(world.bot_api.sent(chat_id)) == 1

    # A replica in polling mode has no webhook to take updates on.
    polling = await world.notifications.post(
        "/telegram/webhook", json=start, headers={SECRET_HEADER: "x"}
    )
    assert polling.status_code == 404
