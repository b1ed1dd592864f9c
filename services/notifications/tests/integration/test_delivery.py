"""Events → the right recipients → the right channel → delivered once, against real Kafka."""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from patronage_common.testing import eventually
from patronage_contracts import (
    AppointmentReminderDue,
    Channel,
    ConsentWithdrawn,
    NeedCategory,
    RecipientRole,
    RequestCreated,
    RequestEscalated,
    RequestStatus,
    RequestStatusChanged,
    SlaBreached,
    SlaClock,
    SpecialistKind,
    Urgency,
)

from services.notifications.tests.integration.conftest import World
from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload, unique_phone

pytestmark = pytest.mark.integration


async def new_family(world: World, **contacts: Any) -> dict[str, Any]:
    payload = passport_payload(curator_id=f"curator-{uuid.uuid4().hex[:6]}")
    payload["contacts"] = {"phones": [unique_phone()], **contacts}
    response = await world.passport.post(
        "/passports", json=payload, headers={"X-Actor": "curator-1"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def status_changed(
    family: dict[str, Any], status: RequestStatus, **extra: Any
) -> RequestStatusChanged:
    return RequestStatusChanged(
        family_id=family["family_id"],
        request_id=uuid.uuid4(),
        version=2,
        previous_status=RequestStatus.ROUTED,
        status=status,
        category=NeedCategory.HOUSING,
        curator_id=family["curator_id"],
        changed_by="agency:housing",
        **extra,
    )


async def deliveries(world: World, family_id: str) -> list[dict[str, Any]]:
    response = await world.notifications.get(f"/families/{family_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json())


async def settled(world: World, family_id: str, count: int) -> list[dict[str, Any]]:
    """The family's log once ``count`` notifications reached a final status."""

    async def probe() -> list[dict[str, Any]] | None:
        found = await deliveries(world, family_id)
        done = [d for d in found if d["status"] in {"sent", "delivered", "failed"}]
        return found if len(done) >= count else None

    return await eventually(probe, timeout_s=120, what=f"{count} notifications settled")


async def test_status_change_reaches_family_by_email_and_curator_in_app_once(world: World) -> None:
    family = await new_family(world, email="maria@example.ru", preferred_channel="email")
    event = status_changed(family, RequestStatus.ACCEPTED)
    await world.publish(event)
    await world.publish(event)  # the same event delivered again

    log = await settled(world, family["family_id"], 2)
    by_role = {d["recipient_role"]: d for d in log}
    assert set(by_role) == {"family", "curator"}
    assert by_role["family"]["channel"] == "email"
    assert by_role["family"]["status"] == "sent"
    assert by_role["family"]["attempts"] == 1
    assert by_role["curator"]["channel"] == "in_app"
    assert by_role["curator"]["recipient_id"] == family["curator_id"]

    # The same event again must not mail twice; a later event does mail.
    second = status_changed(family, RequestStatus.IN_PROGRESS)
    await world.publish(second)
    await settled(world, family["family_id"], 4)
    mails = [m for m in world.mailbox.messages if "maria@example.ru" in m.rcpt_tos]
    assert len(mails) == 2
    assert len(await deliveries(world, family["family_id"])) == 4

    inbox = await world.notifications.get(
        "/notifications", params={"recipient_id": family["curator_id"]}
    )
    assert [n["source_event_id"] for n in inbox.json()] == [
        str(second.event_id),
        str(event.event_id),
    ]


async def test_email_has_russian_subject_and_body(world: World) -> None:
    family = await new_family(world, email="olga@example.ru", preferred_channel="email")
    event = status_changed(family, RequestStatus.REJECTED, reason="Не хватает документов")
    await world.publish(event)
    await settled(world, family["family_id"], 2)

    (envelope,) = [m for m in world.mailbox.messages if "olga@example.ru" in m.rcpt_tos]
    from email import message_from_bytes, policy

    mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert mail["Subject"] == f"Заявка № {str(event.request_id)[:8]}: отклонена"
    assert b"=?utf-8?" in (envelope.original_content or b"").lower()  # RFC 2047 header
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert "ведомство отказало" in body
    assert "Причина: Не хватает документов" in body


async def test_needs_info_asks_family_in_telegram_with_answer_button(world: World) -> None:
    family = await new_family(world, preferred_channel="telegram", telegram="@maria_ivanova")
    chat_id = 5550001
    code = await world.notifications.post(
        "/link-codes",
        json={"family_id": family["family_id"]},
        headers={"X-Actor": family["curator_id"]},
    )
    world.bot_api.user_says(chat_id, code.json()["code"])
    await eventually(lambda: _said(world, chat_id, "чат привязан"), what="chat linked")

    event = status_changed(family, RequestStatus.NEEDS_INFO, reason="Пришлите номер лицевого счёта")
    await world.publish(event)
    log = await settled(world, family["family_id"], 2)
    by_role = {d["recipient_role"]: d for d in log}
    assert by_role["family"]["channel"] == "telegram"
    assert by_role["family"]["status"] == "delivered"
    assert "Пришлите номер лицевого счёта" in by_role["curator"]["text"]
    (message,) = [m for m in world.bot_api.sent(chat_id) if "ведомству нужны сведения" in m["text"]]
    assert "Вопрос: Пришлите номер лицевого счёта" in message["text"]
    button = message["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"] == f"answer:{event.request_id}"


async def test_transient_failures_are_retried_until_sent(world: World) -> None:
    phone = "+79161234567"
    family = await new_family(world, preferred_channel="sms")
    await world.passport.put(
        f"/passports/{family['family_id']}/contacts",
        json={"phones": [phone], "preferred_channel": "sms"},
        headers={"X-Actor": "curator-1"},
    )
    world.sms.failures["+79161234567"] = 2
    await world.publish(status_changed(family, RequestStatus.ROUTED))

    async def sent_after_retries() -> dict[str, Any] | None:
        found = [d for d in await deliveries(world, family["family_id"]) if d["channel"] == "sms"]
        return found[0] if found and found[0]["status"] == "sent" else None

    world.clock.advance(timedelta(seconds=0))
    for _ in range(40):
        world.clock.advance(timedelta(seconds=5))  # let the backoff pass
        if done := await sent_after_retries():
            break
        import asyncio

        await asyncio.sleep(0.25)
    else:
        done = await eventually(sent_after_retries, what="SMS sent after retries")
    assert done["attempts"] == 3
    assert [h["status"] for h in done["history"]] == ["queued", "retrying", "retrying", "sent"]
    assert len([m for m in world.sms.received if m["phone"] == phone]) == 1
    assert "передана в ведомство" in world.sms.received[-1]["text"]


async def test_blocked_bot_marks_telegram_unreachable_and_alerts_curator(world: World) -> None:
    family = await new_family(world, preferred_channel="telegram")
    chat_id = 5550002
    code = await world.notifications.post(
        "/link-codes",
        json={"family_id": family["family_id"]},
        headers={"X-Actor": family["curator_id"]},
    )
    world.bot_api.user_says(chat_id, code.json()["code"])
    await eventually(lambda: _said(world, chat_id, "чат привязан"), what="chat linked")
    world.bot_api.blocked.add(chat_id)

    await world.publish(status_changed(family, RequestStatus.ACCEPTED))

    async def alert() -> list[dict[str, Any]] | None:
        inbox = (
            await world.notifications.get(
                "/notifications", params={"recipient_id": family["curator_id"]}
            )
        ).json()
        return [n for n in inbox if n["event_type"] == "ContactUnreachable"] or None

    (alerted,) = await eventually(alert, what="curator alerted")
    assert alerted["urgent"] is True
    assert "bot was blocked by the user" in alerted["text"]
    log = await deliveries(world, family["family_id"])
    (telegram,) = [d for d in log if d["channel"] == "telegram"]
    assert telegram["status"] == "failed"
    assert telegram["attempts"] == 1

    # The next status change goes by SMS: Telegram is marked unreachable.
    await world.publish(status_changed(family, RequestStatus.IN_PROGRESS))
    await eventually(
        lambda: _has(world, family["family_id"], channel="sms", status="sent"), what="SMS fallback"
    )


async def test_quiet_hours_defer_family_news_until_morning(world: World) -> None:
    family = await new_family(world, email="night@example.ru", preferred_channel="email")
    world.clock.now = world.clock.now.replace(hour=20, minute=30)  # 23:30 in Moscow
    await world.publish(status_changed(family, RequestStatus.ACCEPTED))
    scheduled = await eventually(
        lambda: _has(world, family["family_id"], channel="email", status="scheduled"),
        what="deferred",
    )
    assert scheduled["send_at"].startswith(
        world.clock.now.date().isoformat().replace("23", "24")[:8]
    )
    assert scheduled["send_at"].endswith("05:00:00Z") or "T05:00:00" in scheduled["send_at"]
    # The curator's in-app notification is not deferred.
    await eventually(lambda: _has(world, family["family_id"], channel="in_app", status="sent"))
    assert not [m for m in world.mailbox.messages if "night@example.ru" in m.rcpt_tos]

    world.clock.advance(timedelta(hours=8, minutes=31))  # 08:01 in Moscow
    await eventually(
        lambda: _has(world, family["family_id"], channel="email", status="sent"), what="sent at 8"
    )
    assert len([m for m in world.mailbox.messages if "night@example.ru" in m.rcpt_tos]) == 1


async def test_new_chatbot_request_and_consent_withdrawal_reach_curator(world: World) -> None:
    family = await new_family(world)
    base = {"family_id": family["family_id"], "request_id": uuid.uuid4(), "created_by": "x"}
    await world.publish(
        RequestCreated(
            **base,
            category=NeedCategory.HEALTH,
            urgency=Urgency.URGENT,
            channel=Channel.CHATBOT,
            curator_id=family["curator_id"],
        )
    )
    await world.publish(
        RequestCreated(
            **{**base, "request_id": uuid.uuid4()},
            category=NeedCategory.HEALTH,
            urgency=Urgency.NORMAL,
            channel=Channel.CURATOR,
            curator_id=family["curator_id"],
        )
    )
    await world.publish(
        ConsentWithdrawn(
            family_id=family["family_id"],
            scope=("contact",),
            curator_id=family["curator_id"],
            recorded_by="curator-1",
        )
    )

    async def inbox() -> list[dict[str, Any]] | None:
        found = (
            await world.notifications.get(
                "/notifications", params={"recipient_id": family["curator_id"]}
            )
        ).json()
        return found if len(found) >= 2 else None

    found = await eventually(inbox, what="curator notified")
    texts = {n["event_type"]: n["text"] for n in found}
    assert set(texts) == {"RequestCreated", "ConsentWithdrawn"}  # not the curator's own request
    assert texts["RequestCreated"].startswith("СРОЧНО. Новая заявка «здоровье»")
    assert "пришла из чат-бота" in texts["RequestCreated"]
    assert "связь с семьёй" in texts["ConsentWithdrawn"]


async def staff_inbox(
    world: World, recipient_id: str, count: int, role: str = "curator"
) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        params = {"recipient_id": recipient_id, "recipient_role": role}
        found = (await world.notifications.get("/notifications", params=params)).json()
        return found if len(found) >= count else None

    return list(await eventually(probe, what=f"{count} notifications for {recipient_id}"))


async def test_sla_breach_and_escalation_reach_curator_and_the_level_named(world: World) -> None:
    family = await new_family(world)
    district = f"Район-{uuid.uuid4().hex[:6]}"
    clock: dict[str, Any] = {
        "family_id": family["family_id"],
        "request_id": uuid.uuid4(),
        "clock": SlaClock.RESOLUTION,
        "due_at": "2026-11-20T12:30:00+00:00",
        "budget_s": 3600,
        "elapsed_s": 3600,
        "percent": 100,
        "business_time": True,
        "category": NeedCategory.HOUSING,
        "urgency": Urgency.NORMAL,
        "district": district,
        "hq": f"Штаб-{district}",
        "curator_id": family["curator_id"],
    }
    await world.publish(SlaBreached(**clock))
    await world.publish(
        RequestEscalated(**clock, level=RecipientRole.HQ_COORDINATOR, step=2, overdue_s=60)
    )

    (to_curator,) = await staff_inbox(world, family["curator_id"], 1)
    assert to_curator["event_type"] == "SlaBreached"
    assert "истёк 20.11.2026 в 15:30" in to_curator["text"]  # Moscow time
    head = await staff_inbox(world, district, 1, role="district_head")
    assert [n["event_type"] for n in head] == ["SlaBreached"]  # not the HQ's escalation
    (to_hq,) = await staff_inbox(world, f"Штаб-{district}", 1, role="hq_coordinator")
    assert to_hq["event_type"] == "RequestEscalated"
    assert "передана вам на контроль" in to_hq["text"]


async def test_appointment_reminder_reaches_the_family_in_its_time_zone(world: World) -> None:
    family = await new_family(world, email="semya@example.ru", preferred_channel="email")
    await world.publish(
        AppointmentReminderDue(
            family_id=family["family_id"],
            appointment_id=uuid.uuid4(),
            specialist_id="psychologist-1",
            specialist_kind=SpecialistKind.PSYCHOLOGIST,
            specialist_title="Педагог-психолог",
            office_address="г. Липецк, ул. Советская, 5, каб. 12",
            starts_at="2026-11-25T07:00:00+00:00",
            ends_at="2026-11-25T07:45:00+00:00",
            minutes_before=1440,
        )
    )
    (sent,) = await settled(world, family["family_id"], 1)
    assert sent["channel"] == "email"
    (envelope,) = [m for m in world.mailbox.messages if "semya@example.ru" in m.rcpt_tos]
    from email import message_from_bytes, policy

    mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert mail["Subject"] == "Напоминание о приёме"
    body = mail.get_content()
    assert "Педагог-психолог, 25.11.2026 в 10:00, г. Липецк, ул. Советская, 5" in body


async def _said(world: World, chat_id: int, text: str) -> bool:
    return any(text in m["text"] for m in world.bot_api.sent(chat_id))


async def _has(world: World, family_id: str, **fields: str) -> dict[str, Any] | None:
    for d in await deliveries(world, family_id):
        if all(d[k] == v for k, v in fields.items()):
            return d
    return None


async def test_invalid_event_goes_to_the_dlq_and_the_batch_goes_on(world: World) -> None:
    family = await new_family(world, email="dlq@example.ru", preferred_channel="email")
    valid = status_changed(family, RequestStatus.ACCEPTED)
    broken = valid.model_dump(mode="json") | {"event_id": str(uuid.uuid4()), "status": "lost"}
    topic = world.settings.topic("requests.events")
    await world.producer.send_and_wait(topic, json.dumps(broken).encode(), key=valid.key)
    await world.publish(valid)

    await settled(world, family["family_id"], 2)
    dead = await read_events_until(
        world.settings.kafka_bootstrap_servers,
        topic + ".dlq",
        lambda seen: any(e["event_id"] == broken["event_id"] for e in seen),
    )
    assert [e["status"] for e in dead if e["event_id"] == broken["event_id"]] == ["lost"]
    assert len(await deliveries(world, family["family_id"])) == 2
