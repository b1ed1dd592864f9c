from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaMessage, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.messaging import create_broker
from patronage_common.settings import ServiceSettings
from patronage_contracts import PassportRegistered

pytestmark = pytest.mark.unit


async def test_bad_messages_go_to_the_dlq_with_reason_and_the_next_one_is_handled() -> None:
    broker = create_broker(ServiceSettings(service_name="test"), TracerProvider())
    handled: list[PassportRegistered] = []
    dead: list[tuple[bytes, dict[str, Any]]] = []

    @broker.subscriber("passport.events", group_id="g")
    async def consume(event: PassportRegistered) -> None:
        handled.append(event)

    @broker.subscriber("passport.events.dlq", group_id="g")
    async def dead_letters(message: KafkaMessage) -> None:
        dead.append((message.body, dict(message.headers)))

    good = PassportRegistered(
        family_id=uuid4(), district="d", hq="h", categories=("svo_family",), registered_by="u"
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"{not json", "passport.events", headers={"trace": "1"})
        await test_broker.publish({"type": "PassportRegistered"}, "passport.events")
        await test_broker.publish(good, "passport.events")

    assert handled == [good]
    assert [body for body, _ in dead] == [b"{not json", b'{"type":"PassportRegistered"}']
    first, second = (headers for _, headers in dead)
    assert first["x-dlq-original-topic"] == "passport.events"
    assert first["trace"] == "1"
    assert "district" in second["x-dlq-reason"]
    assert second["x-dlq-error-type"] == "ValidationError"
