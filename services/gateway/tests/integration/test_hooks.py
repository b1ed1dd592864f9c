"""Outside systems' webhooks reach the notifications service through the gateway.

The gateway is the only public entry: the SMS gateway's receipts and Telegram's updates
are posted to it and relayed with their secret; the answer is the notifications service's.
"""

import httpx
import pytest

from ..conftest import SMS_RECEIPT_SECRET, Stack

pytestmark = pytest.mark.integration


async def test_an_sms_receipt_is_relayed_with_its_secret(live_stack: Stack) -> None:
    receipt = {"id": "sms-that-was-never-sent", "status": "delivered"}
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=15) as outside:
        unknown = await outside.post(
            "/hooks/sms/receipts",
            json=receipt,
            headers={"Authorization": f"Bearer {SMS_RECEIPT_SECRET}"},
        )
        wrong_secret = await outside.post(
            "/hooks/sms/receipts", json=receipt, headers={"Authorization": "Bearer guess"}
        )
        no_secret = await outside.post("/hooks/sms/receipts", json=receipt)
    # The right secret got through to the notifications service, which looked the id up.
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["detail"][0]["msg"] == "SMS с id sms-that-was-never-sent мы не отправляли"
    for refused in (wrong_secret, no_secret):
        assert refused.status_code == 401, refused.text
        assert "секрет шлюза SMS" in refused.json()["detail"]


async def test_a_telegram_update_is_relayed(live_stack: Stack) -> None:
    update = {"update_id": 1, "message": {"message_id": 1, "text": "/start"}}
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=15) as outside:
        answer = await outside.post(
            "/hooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s"}
        )
    # This stack's chat-bot polls (no webhook registered): the service says so, in Russian.
    assert answer.status_code == 404, answer.text
    assert answer.json()["detail"] == "чат-бот работает без вебхука"


async def test_an_oversized_webhook_call_is_refused(live_stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=15) as outside:
        answer = await outside.post(
            "/hooks/sms/receipts",
            content=b"x" * 1_000_001,
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "слишком большой запрос"
