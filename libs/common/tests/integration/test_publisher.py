"""Events leave through the producer with their headers and trace, as FastStream sent them."""

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from patronage_common.messaging import EventPublisher, create_broker
from patronage_common.settings import ServiceSettings
from patronage_contracts import PassportRegistered, topic_of

from tests.support.agency_client import read_topic

pytestmark = pytest.mark.integration


async def test_an_event_is_sent_as_json_with_its_headers_and_a_producer_span_in_its_trace(
    make_settings: Callable[..., Any],
) -> None:
    settings: ServiceSettings = make_settings(ServiceSettings, service_name="publishtest")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker: KafkaBroker = create_broker(settings, provider)
    await broker.connect()
    trace_id = "ab" * 16
    event = PassportRegistered(
        family_id=uuid4(),
        district="Ленинский",
        hq="h",
        categories=("svo_family",),
        registered_by="t",
        trace_context={"traceparent": f"00-{trace_id}-{'cd' * 8}-01"},
    )
    publisher = EventPublisher(broker, settings, provider)
    await publisher.start()
    try:
        await publisher.publish(event)
    finally:
        await publisher.stop()
        await broker.stop()

    [(value, headers)] = await read_topic(
        settings.kafka_bootstrap_servers, settings.topic(topic_of(event)), count=1
    )
    assert json.loads(value) == event.model_dump(mode="json")
    assert "Ленинский".encode() in value  # UTF-8, not escaped
    assert headers["content-type"] == "application/json"
    assert headers["type"] == "PassportRegistered"
    assert headers["event_id"] == str(event.event_id)
    assert headers["correlation_id"] == str(event.correlation_id)
    [span] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.PRODUCER]
    assert span.context is not None
    assert f"{span.context.trace_id:032x}" == trace_id
    assert headers["traceparent"] == f"00-{trace_id}-{span.context.span_id:016x}-01"
    assert (span.attributes or {})["messaging.destination.name"] == settings.topic(topic_of(event))


async def test_not_started_it_publishes_through_the_broker_and_after_stop_again(
    make_settings: Callable[..., Any],
) -> None:
    settings: ServiceSettings = make_settings(ServiceSettings, service_name="publishtest2")
    broker: KafkaBroker = create_broker(settings, TracerProvider())
    await broker.connect()
    publisher = EventPublisher(broker, settings)
    events = [
        PassportRegistered(
            family_id=uuid4(), district="d", hq="h", categories=("svo_family",), registered_by="t"
        )
        for _ in range(3)
    ]
    try:
        await publisher.publish(events[0])  # through FastStream
        await publisher.start()
        await publisher.publish(events[1])  # through its own producer
        await publisher.stop()
        await publisher.publish(events[2])  # through FastStream again
    finally:
        await broker.stop()

    got = await read_topic(
        settings.kafka_bootstrap_servers, settings.topic(topic_of(events[0])), count=3
    )
    # Each family's key may land on another partition: compared by event id, not by order.
    by_id = {headers["event_id"]: (json.loads(value), headers) for value, headers in got}
    assert by_id.keys() == {str(e.event_id) for e in events}
    for event in events:
        body, headers = by_id[str(event.event_id)]
        assert body == event.model_dump(mode="json")
        assert headers["type"] == "PassportRegistered"
