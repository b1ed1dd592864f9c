"""Kafka wiring every service shares: the broker, publishing events, topics, dead letters."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.message import StreamMessage
from faststream.middlewares import BaseMiddleware
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from patronage_contracts import CATALOGUE, Message, TopicSpec, topic_of
from patronage_contracts.topics import DLQ_SUFFIX, dead_letter_topics, dlq_topic_name
from pydantic import ValidationError
from pydantic_core import to_json

from .logging import get_logger
from .settings import ServiceSettings
from .telemetry import trace_context_attached

log = get_logger(__name__)

BROKER_CONTEXT_KEY = "patronage_broker"
TRANSIENT_RETRY_DELAY_S = 1.0

# Consumers commit only after the handler (and so its stored effects) finished; an
# unexpected error nacks, so the message is delivered again instead of being lost.
CONSUMER_ACK_POLICY = AckPolicy.NACK_ON_ERROR


class MessageRefused(Exception):  # noqa: N818 - a refusal, not a failure of ours
    """The message is well-formed but must not be applied (e.g. from the wrong agency)."""


def create_broker(settings: ServiceSettings, tracer_provider: TracerProvider) -> KafkaBroker:
    """A broker with idempotent acks=all producing, tracing and dead-lettering."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            DeadLetterMiddleware,
        ),
        graceful_timeout=10.0,
        # FastStream's per-message access lines go through our JSON logging, at DEBUG.
        logger=logging.getLogger("patronage.broker"),
        log_level=logging.DEBUG,
    )
    broker.context.set_global(BROKER_CONTEXT_KEY, broker)
    return broker


class DeadLetterMiddleware(BaseMiddleware):
    """Sends a message that cannot be parsed, validated or applied to ``<topic>.dlq``.

    The original bytes and headers travel with the reason; the consumer then goes on.
    Other errors are transient (the store is down, say): wait a moment and let the
    message be delivered again.
    """

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        try:
            return await call_next(msg)
        except (ValidationError, MessageRefused, json.JSONDecodeError, UnicodeDecodeError) as exc:
            await self._dead_letter(msg, exc)
            return None
        except Exception:
            log.exception("handler failed; the message will be delivered again")
            await asyncio.sleep(TRANSIENT_RETRY_DELAY_S)
            raise

    async def _dead_letter(self, msg: StreamMessage[Any], exc: Exception) -> None:
        record = msg.raw_message
        topic = str(getattr(record, "topic", "") or "unknown")
        if topic.endswith(DLQ_SUFFIX):
            log.error("unreadable message on a dead-letter topic dropped", topic=topic)
            return
        broker: KafkaBroker = self.context.get(BROKER_CONTEXT_KEY)
        headers = {k: v for k, v in (msg.headers or {}).items() if isinstance(v, str)}
        headers.update(
            {
                "x-dlq-reason": _reason(exc)[:2000],
                "x-dlq-error-type": type(exc).__name__,
                "x-dlq-original-topic": topic,
                "x-dlq-original-partition": str(getattr(record, "partition", "")),
                "x-dlq-original-offset": str(getattr(record, "offset", "")),
            }
        )
        await broker.publish(
            msg.body,
            topic=dlq_topic_name(topic),
            key=getattr(record, "key", None),
            headers=headers,
        )
        log.warning(
            "message sent to the dead-letter topic",
            topic=topic,
            offset=headers["x-dlq-original-offset"],
            error_type=type(exc).__name__,
        )


async def dead_letter(
    broker: KafkaBroker,
    settings: ServiceSettings,
    *,
    topic: str,
    body: Any,
    exc: Exception,
    consumer: str,
) -> None:
    """Send one message of a batch to ``<topic>.dlq`` with the reason; the batch goes on.

    (A batch subscriber's messages do not pass the middleware one by one.) ``body``: the
    decoded message, or its bytes if they did not decode (sent as they came).
    """
    await broker.publish(
        body
        if isinstance(body, bytes)
        else json.dumps(body, ensure_ascii=False, default=str).encode(),
        topic=settings.topic(dlq_topic_name(topic)),
        key=str(body.get("family_id", "")).encode() if isinstance(body, dict) else None,
        headers={
            "x-dlq-reason": _reason(exc)[:2000],
            "x-dlq-error-type": type(exc).__name__,
            "x-dlq-original-topic": settings.topic(topic),
            "x-dlq-consumer": consumer,
        },
    )
    log.warning("message sent to the dead-letter topic", topic=topic, error_type=type(exc).__name__)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(message)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
    return str(exc) or type(exc).__name__


class EventPublisher:
    """Publishes contract messages on their catalogue topic, keyed by family.

    Once started (``start``), events go through the publisher's own aiokafka producer
    (idempotent, ``acks=all``, like the broker's) with one producer span each (the outbox
    sends four or five per new request): FastStream's publish path made two spans and ran
    its middlewares per message, the largest cost of a routed request in the requests
    service (py-spy, ``bench/requests.py``). What a consumer sees is the same: JSON bytes,
    ``content-type``, ``type``, ``event_id``, ``correlation_id`` and the ``traceparent`` of
    the producer span. Not started (FastStream's test broker, a script), the broker's own
    ``publish`` is used.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        settings: ServiceSettings,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect the publisher's own producer (configured as ``create_broker``'s)."""
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=f"{self._settings.service_name}-events",
            acks="all",
            enable_idempotence=True,
            # aiokafka keeps one produce request in flight per broker and puts one batch
            # per partition in it; once a partition's batch is full the next send waits
            # for that request's acks. At the default 16 KiB an intake group of 50
            # requests (~150 events) took several round trips one after another.
            max_batch_size=512 * 1024,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        """Send what is pending and disconnect; later events go through the broker again."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(self, message: Message) -> None:
        """Publish one message, joining the trace it was created in."""
        await self.publish_raw(
            topic=topic_of(message), key=message.key, payload=message.model_dump(mode="json")
        )

    async def publish_raw(self, *, topic: str, key: bytes, payload: dict[str, Any]) -> None:
        """Publish an already-serialized message and wait until the broker has it."""
        await (await self.send_raw(topic=topic, key=key, payload=payload))

    async def send_raw(
        self, *, topic: str, key: bytes, payload: dict[str, Any]
    ) -> "asyncio.Future[Any]":
        """Hand a message (its JSON-mode dict) to the producer; see ``send_body``."""
        return await self.send_body(topic=topic, key=key, envelope=payload, body=to_json(payload))

    async def send_body(
        self, *, topic: str, key: bytes, envelope: Mapping[str, Any], body: bytes
    ) -> "asyncio.Future[Any]":
        """Hand a serialized message to the producer; the future resolves on the broker's ack.

        ``body`` is the message's JSON; ``envelope`` holds its ``event_id``, ``type``,
        ``correlation_id`` and ``trace_context`` for the headers and the trace (the message's
        own dict will do). Messages handed over one after another keep their order
        (idempotent producer), so a batch can be sent and then awaited together.
        """
        producer = self._producer
        destination = self._settings.topic(topic)
        event_id = str(envelope["event_id"])
        kind = str(envelope.get("type", ""))
        correlation_id = str(envelope.get("correlation_id") or event_id)
        with trace_context_attached(envelope.get("trace_context") or {}):
            if producer is not None:
                with self._tracer.start_as_current_span(
                    f"{destination} publish",
                    kind=trace.SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.destination.name": destination,
                        "messaging.operation": "publish",
                        "messaging.message.conversation_id": correlation_id,
                    },
                ):
                    headers = {
                        "content-type": "application/json",
                        "type": kind,
                        "event_id": event_id,
                        "correlation_id": correlation_id,
                    }
                    propagate.inject(headers)
                    future: asyncio.Future[Any] = await producer.send(
                        destination,
                        value=body,
                        key=key,
                        headers=[(name, value.encode()) for name, value in headers.items()],
                    )
                    return future
            # Not started (or stopped): through the broker, which sends a dict as JSON.
            return await self._broker.publish(
                json.loads(body),
                topic=destination,
                key=key,
                headers={"type": kind, "event_id": event_id},
                correlation_id=correlation_id,
                no_confirm=True,
            )


def catalogue_topics() -> tuple[TopicSpec, ...]:
    """Every topic of the bus, dead-letter topics included."""
    return (*CATALOGUE, *dead_letter_topics())


async def ensure_topics(settings: ServiceSettings) -> None:
    """Create the catalogue's topics (with this deployment's prefix) if they are missing."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service_name
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=settings.topic(spec.name),
                num_partitions=spec.partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs=spec.kafka_config(),
            )
            for spec in catalogue_topics()
            if settings.topic(spec.name) not in existing
        ]
        if wanted:
            # Another replica may have created them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()
