"""Consume the event topics in batches and hand the events to the notification flow."""

import json
from typing import Any

from faststream.kafka import KafkaRouter
from opentelemetry import trace
from patronage_common.logging import get_logger
from patronage_common.messaging import CONSUMER_ACK_POLICY
from patronage_contracts import Event, message_type
from patronage_contracts.topics import (
    APPOINTMENT_EVENTS_TOPIC,
    PASSPORT_EVENTS_TOPIC,
    REQUEST_EVENTS_TOPIC,
    dlq_topic_name,
)
from pydantic import ValidationError

from ..context import HandlerNotifier, Notifier
from ..settings import NotificationsSettings
from . import flows

log = get_logger(__name__)
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
            await _dead_letter(notifier, topic, body, exc)
            continue
        if isinstance(event, Event):
            events.append(event)
    return events


async def _dead_letter(notifier: Notifier, topic: str, body: Any, exc: Exception) -> None:
    settings = notifier.settings
    await notifier.runtime.broker.publish(
        json.dumps(body, ensure_ascii=False, default=str).encode(),
        topic=settings.topic(dlq_topic_name(topic)),
        key=str(body.get("family_id", "")).encode() if isinstance(body, dict) else None,
        headers={
            "x-dlq-reason": str(exc)[:2000],
            "x-dlq-error-type": type(exc).__name__,
            "x-dlq-original-topic": settings.topic(topic),
            "x-dlq-consumer": CONSUMER,
        },
    )
    log.warning("message sent to the dead-letter topic", topic=topic, error=type(exc).__name__)


def kafka_router(settings: NotificationsSettings) -> KafkaRouter:
    """Batch subscribers deciding notifications on the request and passport topics."""
    router = KafkaRouter()
    for topic in TOPICS:

        def subscribe(topic: str) -> None:
            @router.subscriber(
                settings.topic(topic),
                group_id=f"{settings.topic_prefix}{CONSUMER}@{topic}",
                auto_offset_reset="earliest",
                ack_policy=CONSUMER_ACK_POLICY,
                batch=True,
                max_records=settings.batch_max_records,
                batch_timeout_ms=100,
                title=f"{CONSUMER}:{topic}",
                description="Decide and send notifications (idempotent by notification id)",
            )
            async def consume(bodies: list[dict[str, Any]], notifier: HandlerNotifier) -> None:
                # Named like the EventRouter consumers, so a trace shows who consumed.
                trace.get_current_span().set_attribute("patronage.consumer", CONSUMER)
                events = await parse_batch(notifier, topic, bodies)
                if events:
                    await flows.notify(notifier=notifier, events=events)

        subscribe(topic)
    return router
