"""What one consumed batch does with repeats and failures among its events, against real
Kafka and store: the events are on the topics before the service starts, so it reads them
in one batch."""

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from patronage_common.testing import eventually
from patronage_contracts import Event, RequestStatus, topic_of
from patronage_contracts.topics import NOTIFICATION_EVENTS_TOPIC

from services.notifications.tests.integration.conftest import World, replica
from services.notifications.tests.integration.test_delivery import (
    deliveries,
    new_family,
    settled,
    staff_inbox,
    status_changed,
)
from tests.support.agency_client import read_events_until
from tests.support.families import unique_phone

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def one_batch(world: World, events: Sequence[Event]) -> AsyncIterator[str]:
    """A replica started after ``events`` are on its topics (its own prefix); yields the
    prefix. A first start creates the topics, as the service does."""
    prefix = f"{world.settings.topic_prefix}batch{uuid.uuid4().hex[:6]}."
    async with replica(world, topic_prefix=prefix):
        pass
    for event in events:
        await world.producer.send(
            prefix + topic_of(event), event.model_dump_json().encode(), key=event.key
        )
    await world.producer.flush()
    async with replica(world, topic_prefix=prefix):
        yield prefix


async def sms_family(world: World) -> tuple[dict[str, Any], str]:
    phone = unique_phone()
    family = await new_family(world, phones=[phone], preferred_channel="sms")
    return family, phone


def texts_to(world: World, phone: str) -> list[dict[str, Any]]:
    return [m for m in world.sms.received if digits(m["phone"]) == digits(phone)]


def e164(phone: str) -> str:
    """The number as the passport stores it and the gateway receives it."""
    return "+" + digits(phone)


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


async def test_the_same_event_twice_in_one_batch_is_delivered_once(world: World) -> None:
    (family, phone), (other, other_phone) = await sms_family(world), await sms_family(world)
    event = status_changed(family, RequestStatus.ACCEPTED)
    events = [event, status_changed(other, RequestStatus.ACCEPTED), event]

    async with one_batch(world, events):
        log = await settled(world, family["family_id"], 2)
        await settled(world, other["family_id"], 2)

    assert sorted((d["recipient_role"], d["status"]) for d in log) == [
        ("curator", "sent"),
        ("family", "sent"),
    ]
    assert len(await deliveries(world, family["family_id"])) == 2
    assert len(texts_to(world, phone)) == 1
    assert len(texts_to(world, other_phone)) == 1
    inbox = await staff_inbox(world, family["curator_id"], 1)
    assert [n["source_event_id"] for n in inbox] == [str(event.event_id)]


async def test_a_transient_failure_in_a_batch_is_retried_and_the_others_are_sent(
    world: World,
) -> None:
    families = [await sms_family(world) for _ in range(3)]
    (_, failing_phone) = families[1]
    world.sms.failures[e164(failing_phone)] = 1

    async with one_batch(world, [status_changed(f, RequestStatus.ROUTED) for f, _ in families]):
        for family, phone in (families[0], families[2]):
            (sent,) = [
                d for d in await settled(world, family["family_id"], 2) if d["channel"] == "sms"
            ]
            assert (sent["status"], sent["attempts"]) == ("sent", 1)
            assert len(texts_to(world, phone)) == 1

        failing = families[1][0]["family_id"]

        async def retried() -> dict[str, Any] | None:
            world.clock.advance(timedelta(seconds=5))  # let the backoff pass
            found = [d for d in await deliveries(world, failing) if d["channel"] == "sms"]
            return found[0] if found and found[0]["status"] == "sent" else None

        done = await eventually(retried, timeout_s=120, what="SMS sent after a retry")

    assert done["attempts"] == 2
    assert [h["status"] for h in done["history"]] == ["queued", "retrying", "sent"]
    assert len(texts_to(world, failing_phone)) == 1


async def test_a_permanent_failure_in_a_batch_alerts_the_curator_and_the_others_are_sent(
    world: World,
) -> None:
    families = [await sms_family(world) for _ in range(3)]
    refused, refused_phone = families[1]
    world.sms.invalid.add(e164(refused_phone))

    events = [status_changed(f, RequestStatus.ACCEPTED) for f, _ in families]
    async with one_batch(world, events) as prefix:
        alert = await eventually(
            lambda: _unreachable_alert(world, refused["curator_id"]), what="curator alerted"
        )
        for family, phone in (families[0], families[2]):
            (sent,) = [
                d for d in await settled(world, family["family_id"], 2) if d["channel"] == "sms"
            ]
            assert sent["status"] == "sent"
            assert len(texts_to(world, phone)) == 1
        published = await read_events_until(
            world.settings.kafka_bootstrap_servers,
            prefix + NOTIFICATION_EVENTS_TOPIC.name,
            lambda seen: any(e["type"] == "ContactUnreachable" for e in seen),
        )

    assert alert["urgent"] is True
    (unreachable,) = [e for e in published if e["type"] == "ContactUnreachable"]
    assert (unreachable["family_id"], unreachable["channel"]) == (refused["family_id"], "sms")
    (failed,) = [d for d in await deliveries(world, refused["family_id"]) if d["channel"] == "sms"]
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert texts_to(world, refused_phone) == []


async def _unreachable_alert(world: World, curator_id: str) -> dict[str, Any] | None:
    inbox = (
        await world.notifications.get("/notifications", params={"recipient_id": curator_id})
    ).json()
    found = [n for n in inbox if n["event_type"] == "ContactUnreachable"]
    return found[0] if found else None
