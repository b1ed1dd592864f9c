"""Pure parts of the replica-safe pieces: conversation ids, receipts, webhook settings."""

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from patronage_contracts import InAppNotificationSent, Message, RecipientRole
from patronage_notifications.bot.conversations import conversation_id
from patronage_notifications.bot.dialog import open_questions
from patronage_notifications.delivery.api import _authorized
from patronage_notifications.delivery.channels import OutgoingMessage
from patronage_notifications.delivery.live import InAppChannel, sent_event_id
from patronage_notifications.delivery.receipts import with_receipt
from patronage_notifications.settings import NotificationsSettings
from pydantic import ValidationError

pytestmark = pytest.mark.unit
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_private_chat_is_one_conversation_document() -> None:
    key = StorageKey(bot_id=42, chat_id=1001, user_id=1001)
    assert conversation_id(key) == "bot:42:chat:1001"
    in_group = StorageKey(bot_id=42, chat_id=-5, user_id=1001, thread_id=7)
    assert conversation_id(in_group) == "bot:42:chat:-5:user:1001:thread:7"


def test_a_receipt_completes_status_and_history() -> None:
    shown = {"status": "sent", "history": [{"status": "queued"}, {"status": "sent"}]}
    assert with_receipt(shown, None) is shown
    received = with_receipt(
        shown, {"status": "failed", "at": AT, "source": "sms_gateway", "error": "нет абонента"}
    )
    assert received["status"] == "failed"
    assert received["history"][-1] == {
        "status": "failed",
        "at": AT,
        "source": "sms_gateway",
        "error": "нет абонента",
    }


def test_webhook_mode_names_what_is_missing() -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET"):
        NotificationsSettings(telegram_updates="webhook", telegram_bot_token="1:x")
    with pytest.raises(ValidationError):
        NotificationsSettings(telegram_webhook_secret="has spaces")
    settings = NotificationsSettings(
        telegram_updates="webhook",
        telegram_bot_token="1:x",
        telegram_webhook_url="https://example.ru/telegram/webhook",
        telegram_webhook_secret="s3cret_-",
    )
    assert settings.telegram_updates == "webhook"
    assert NotificationsSettings().telegram_updates == "polling"


def test_only_open_questions_are_shown() -> None:
    item: dict[str, Any] = {
        "tasks": [
            {"status": "needs_info", "question": "Номер лицевого счёта?"},
            {"status": "accepted", "question": None},
            {"status": "resolved", "question": "старый вопрос"},
        ]
    }
    assert open_questions(item) == ["Номер лицевого счёта?"]
    assert open_questions({}) == []


def test_receipts_need_the_bearer_secret() -> None:
    assert _authorized("Bearer abc", "abc")
    assert _authorized("bearer abc", "abc")
    assert not _authorized("Bearer abd", "abc")
    assert not _authorized(None, "abc")
    assert not _authorized("Bearer ", "")  # no secret configured: nothing passes


async def test_in_app_channel_publishes_for_every_replica_and_waits_for_a_browser() -> None:
    published: list[Message] = []

    async def publish(message: Message) -> None:
        published.append(message)

    message = OutgoingMessage(
        notification_id="e:curator:c-1:in_app",
        address="c-1",
        subject="Новая заявка",
        body="Новая заявка «жильё»",
        recipient_id="c-1",
        urgent=True,
        recipient_role=RecipientRole.CURATOR,
        family_id="6f0b3a52-0000-4000-8000-000000000001",
    )
    receipt = await InAppChannel(publish).send(message)
    await InAppChannel(publish).send(message)  # a retry is the same event
    assert receipt.delivered is False  # a replica with the stream open says so later
    first, again = published
    assert isinstance(first, InAppNotificationSent)
    assert first.event_id == again.event_id == sent_event_id(message.notification_id)
    assert (first.recipient_id, first.text, first.urgent) == ("c-1", "Новая заявка «жильё»", True)
