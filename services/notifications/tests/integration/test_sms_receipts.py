"""The SMS gateway's delivery receipts: recorded once, refused without the secret, and a
permanent failure makes the phone unreachable and alerts the curator."""

from typing import Any

import pytest
from patronage_common.testing import eventually
from patronage_contracts import RequestStatus

from services.notifications.tests.integration.conftest import World
from services.notifications.tests.integration.test_delivery import (
    deliveries,
    new_family,
    status_changed,
)

pytestmark = pytest.mark.integration


async def sms_sent(world: World, family: dict[str, Any]) -> dict[str, Any]:
    """A status change of the family's request, sent to it by SMS."""
    await world.publish(status_changed(family, RequestStatus.ACCEPTED))

    async def sent() -> dict[str, Any] | None:
        found = [d for d in await deliveries(world, family["family_id"]) if d["channel"] == "sms"]
        return found[0] if found and found[0]["status"] == "sent" else None

    return await eventually(sent, timeout_s=120, what="SMS sent")


async def test_delivered_receipt_is_recorded_once_and_shown_in_the_log(world: World) -> None:
    family = await new_family(world, preferred_channel="sms")
    sms = await sms_sent(world, family)
    (handed,) = [m for m in world.sms.received if m["id"] == sms["notification_id"]]

    first = await world.sms.report(handed["id"], "delivered")
    assert first.status_code == 200, first.text
    assert first.json() == {"id": handed["id"], "status": "delivered", "new": True}
    again = await world.sms.report(handed["id"], "delivered")  # the gateway retries its call
    assert again.status_code == 200, again.text
    assert again.json()["new"] is False

    shown = (await world.notifications.get(f"/notifications/{handed['id']}")).json()
    assert shown["status"] == "delivered"
    assert shown["attempts"] == 1
    assert [h["status"] for h in shown["history"]] == ["queued", "sent", "delivered"]
    (logged,) = [d for d in await deliveries(world, family["family_id"]) if d["channel"] == "sms"]
    assert logged["status"] == "delivered"

    # A contradicting late report does not rewrite what the gateway said first.
    late = await world.sms.report(handed["id"], "failed", error="expired")
    assert late.status_code == 409
    assert "уже получен другой отчёт" in late.text


async def test_receipts_need_the_secret_and_a_message_we_sent(world: World) -> None:
    family = await new_family(world, preferred_channel="sms")
    sms = await sms_sent(world, family)

    forged = await world.sms.report(sms["notification_id"], "delivered", secret="guess")
    assert forged.status_code == 401
    assert "секрет шлюза SMS" in forged.text
    unknown = await world.sms.report("no-such-message", "delivered")
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["loc"] == ["body", "id"]
    assert "не отправляли" in unknown.json()["detail"][0]["msg"]
    bad = await world.sms.report(sms["notification_id"], "read")
    assert bad.status_code == 422
    shown = (await world.notifications.get(f"/notifications/{sms['notification_id']}")).json()
    assert shown["status"] == "sent"


async def test_permanent_failure_makes_the_phone_unreachable_and_alerts_the_curator(
    world: World,
) -> None:
    family = await new_family(world, preferred_channel="sms")
    phone = family["contacts"]["phones"][0]
    sms = await sms_sent(world, family)

    for _ in range(2):  # the gateway calls twice: one alert
        failed = await world.sms.report(
            sms["notification_id"], "failed", permanent=True, error="номер не обслуживается"
        )
        assert failed.status_code == 200, failed.text

    async def alerts() -> list[dict[str, Any]] | None:
        inbox = (
            await world.notifications.get(
                "/notifications", params={"recipient_id": family["curator_id"]}
            )
        ).json()
        return [n for n in inbox if n["event_type"] == "ContactUnreachable"] or None

    (alert,) = await eventually(alerts, what="curator alerted")
    assert alert["urgent"] is True
    assert "номер не обслуживается" in alert["text"]
    shown = (await world.notifications.get(f"/notifications/{sms['notification_id']}")).json()
    assert shown["status"] == "failed"
    assert shown["history"][-1]["error"] == "номер не обслуживается"

    # The phone is unreachable now: the next status change is not texted to it.
    later = status_changed(family, RequestStatus.IN_PROGRESS)
    await world.publish(later)

    async def curator_told() -> bool:
        log = await deliveries(world, family["family_id"])
        return any(
            d["source_event_id"] == str(later.event_id) and d["recipient_role"] == "curator"
            for d in log
        )

    await eventually(curator_told, what="the later change decided")
    log = await deliveries(world, family["family_id"])
    assert not [
        d for d in log if d["source_event_id"] == str(later.event_id) and d["channel"] == "sms"
    ]
    assert len([m for m in world.sms.received if m["phone"] == phone]) == 1
    assert len(await alerts() or []) == 1  # the repeated report alerted once
