"""Consume the event topics in batches and hand the events to the notification flow."""

from typing import Any

from faststream.kafka import KafkaRouter
from opentelemetry import trace
from patronage_common.consumers import subscription
from patronage_common.messaging import dead_letter
from patronage_contracts import Event, message_type
from patronage_contracts.topics import (
    APPOINTMENT_EVENTS_TOPIC,
    PASSPORT_EVENTS_TOPIC,
    REQUEST_EVENTS_TOPIC,
)
from pydantic import ValidationError

from ..context import HandlerNotifier, Notifier
from ..settings import NotificationsSettings
from . import flows

CONSUMER = "notifications.decide"
TOPICS = (REQUEST_EVENTS_TOPIC.name, PASSPORT_EVENTS_TOPIC.name, APPOINTMENT_EVENTS_TOPIC.name)


async def parse_batch(notifier: Notifier, topic: str, bodies: list[dict[str, Any]]) -> list[Event]:
    """Events the rules know; a message that does not validate goes to the DLQ alone."""
    events: list[Event] = []
    for body in bodies:
        name = body.get("type") if isinstance(body, dict) else None
        if not isinstance(name, str) or not notifier.rulebook.rules.get(name):
            continue  # for other consumers
        try:
            model = message_type(name)
            event = model.model_validate(body)
        except (LookupError, ValidationError) as exc:
            await dead_letter(
                notifier.runtime.broker,
                notifier.settings,
                topic=topic,
                body=body,
                exc=exc,
                consumer=CONSUMER,
            )
            continue
        if isinstance(event, Event):
            events.append(event)
    return events


def kafka_router(settings: NotificationsSettings) -> KafkaRouter:
    """Batch subscribers deciding notifications on the request and passport topics."""
    router = KafkaRouter()
    for topic in TOPICS:

        def subscribe(topic: str) -> None:
            @router.subscriber(
                settings.topic(topic),
                batch=True,
                max_records=settings.batch_max_records,
                batch_timeout_ms=100,
                **subscription(
                    settings,
                    topic,
                    consumer=CONSUMER,
                    description="Decide and send notifications (idempotent by notification id)",
                ),
            )
            async def consume(bodies: list[dict[str, Any]], notifier: HandlerNotifier) -> None:
                # Named like the EventRouter consumers, so a trace shows who consumed.
                trace.get_current_span().set_attribute("patronage.consumer", CONSUMER)
                events = await parse_batch(notifier, topic, bodies)
                if events:
                    await flows.notify(notifier=notifier, events=events)

        subscribe(topic)
    return router
