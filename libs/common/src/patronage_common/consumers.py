"""Typed, idempotent consumption of a topic that carries several message types."""

import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypedDict, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.message import StreamMessage
from opentelemetry import trace
from patronage_contracts import Message, message_type
from pydantic import ValidationError

from .idempotency import ProcessedBatches
from .logging import get_logger
from .messaging import CONSUMER_ACK_POLICY, MessageRefused, dead_letter
from .runtime import HandlerRuntime, ServiceRuntime
from .settings import ServiceSettings

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
Handler = Callable[[Any, ServiceRuntime], Awaitable[None]]
Wants = Callable[[dict[str, Any]], bool]
"""A cheap look at a message's raw body: False skips it before it is validated or checked
against the processed ids (no store round trip for an event the handler would ignore)."""


class Subscription(TypedDict):
    """``router.subscriber`` options (typed, so FastStream's overloads still resolve)."""

    group_id: str
    auto_offset_reset: Literal["earliest"]
    ack_policy: AckPolicy
    title: str
    description: str | None


def subscription(
    settings: ServiceSettings, topic: str, *, consumer: str, description: str = ""
) -> Subscription:
    """The subscriber options every consumer here shares, for ``router.subscriber``.

    One consumer group per consumer and topic: replicas of the service share it, and the
    service's other subscribers do not rebalance with it. A new group starts at the
    topic's beginning; offsets are committed only after the handler (``CONSUMER_ACK_POLICY``).
    """
    return Subscription(
        group_id=f"{settings.topic_prefix}{consumer}@{topic}",
        auto_offset_reset="earliest",
        ack_policy=CONSUMER_ACK_POLICY,
        title=f"{consumer}:{topic}",
        description=description or None,
    )


class EventRouter:
    """Dispatches one topic's messages by ``type`` to typed handlers, once per ``event_id``.

    A message that does not parse or validate raises, and the dead-letter middleware
    moves it to the topic's DLQ. Types with no handler here are for other consumers and
    are skipped. A handler's effects must be safe to apply twice: a crash between the
    effect and the processed-id record delivers the message again.
    """

    def __init__(self, topic: str, *, consumer: str, description: str = "") -> None:
        self.topic = topic
        self.consumer = consumer
        self.description = description
        self._handlers: dict[type[Message], Handler] = {}
        self._wants: dict[type[Message], Wants] = {}

    def handles(
        self, model: type[M], *, wants: Wants | None = None
    ) -> Callable[
        [Callable[[M, ServiceRuntime], Awaitable[None]]],
        Callable[[M, ServiceRuntime], Awaitable[None]],
    ]:
        """Decorator: register a handler of ``model`` messages (those ``wants`` accepts)."""

        def register(
            fn: Callable[[M, ServiceRuntime], Awaitable[None]],
        ) -> Callable[[M, ServiceRuntime], Awaitable[None]]:
            self.add(model, fn, wants=wants)
            return fn

        return register

    def add(
        self,
        model: type[M],
        fn: Callable[[M, ServiceRuntime], Awaitable[None]],
        *,
        wants: Wants | None = None,
    ) -> None:
        """Register a handler of ``model`` messages; with ``wants``, only of the messages
        whose raw body it accepts (the others are skipped unvalidated, unrecorded)."""
        self._handlers[model] = fn
        if wants is not None:
            self._wants[model] = wants

    async def dispatch(self, body: dict[str, Any], runtime: ServiceRuntime) -> None:
        """Parse, de-duplicate and hand one message to its handler."""
        name = body.get("type")
        if not isinstance(name, str):
            raise MessageRefused("message has no string field 'type'")
        try:
            model = message_type(name)
        except LookupError:
            log.debug("message type not handled here", type=name, topic=self.topic)
            return
        handler = self._handlers.get(model)
        if handler is None:
            return
        wants = self._wants.get(model)
        if wants is not None and not wants(body):
            return
        message = model.model_validate(body)
        span = trace.get_current_span()
        span.set_attribute("patronage.consumer", self.consumer)
        span.set_attribute("patronage.message.type", name)
        processed = runtime.processed(self.consumer)
        if await processed.seen(message.event_id):
            log.info("duplicate delivery skipped", event_id=str(message.event_id), type=name)
            return
        await handler(message, runtime)
        await processed.mark(message.event_id)

    def kafka_router(self, settings: ServiceSettings) -> KafkaRouter:
        """A FastStream router subscribing this service's consumer group to the topic."""
        router = KafkaRouter()

        @router.subscriber(
            settings.topic(self.topic),
            **subscription(
                settings, self.topic, consumer=self.consumer, description=self.description
            ),
        )
        async def consume(body: dict[str, Any], runtime: HandlerRuntime) -> None:
            await self.dispatch(body, runtime)

        return router


BatchHandler = Callable[[list[Any], ServiceRuntime], Awaitable[None]]

BATCH_MAX_RECORDS = 500
BATCH_TIMEOUT_MS = 20
BATCH_FETCH_WAIT_MS = 200
"""How long the broker may hold a fetch to fill it: a batch consumer's cost is mostly per
batch, and handed what arrived in a few milliseconds it would see one or two events."""
BATCH_FETCH_MIN_BYTES = 256 * 1024


class BatchEventRouter:
    """Consumes one topic in batches: the messages of ``types``, each once per ``event_id``,
    handed to one handler together, in topic order within a partition.

    A message that does not parse or validate goes to the topic's DLQ alone and the batch
    goes on; types not handled here are skipped, and so are the messages ``wants`` refuses
    (a batch left with none costs no store round trip). Which events were applied before is
    checked once per batch (``ProcessedBatches``); the handler's effects must be safe to
    apply twice, as for ``EventRouter``. Any error of the handler fails the whole batch,
    which is delivered again.

    ``claims=False``: nothing is claimed, and a delivery again is applied again — for a
    handler whose effects absorb a repeat by themselves (read models that add a fixed value
    once, or keep only a newer version), where the claims would cost a stored document for
    every event to save work only on the rare redelivery.
    """

    def __init__(
        self,
        topic: str,
        *,
        consumer: str,
        types: tuple[type[Message], ...],
        handler: BatchHandler,
        wants: Wants | None = None,
        description: str = "",
        max_records: int = BATCH_MAX_RECORDS,
        batch_timeout_ms: int = BATCH_TIMEOUT_MS,
        fetch_wait_ms: int = BATCH_FETCH_WAIT_MS,
        claims: bool = True,
    ) -> None:
        self.topic = topic
        self.claims = claims
        self.consumer = consumer
        self.description = description
        self._types = {model.model_fields["type"].default: model for model in types}
        self._handler = handler
        self._wants = wants
        self._max_records = max_records
        self._batch_timeout_ms = batch_timeout_ms
        self._fetch_wait_ms = fetch_wait_ms

    def decode(self, msg: StreamMessage[Any]) -> list[Any]:
        """The batch's bodies worth parsing: a record whose ``type`` header names a type not
        handled here is left out undecoded (most of a shared topic's records are for other
        consumers); the others are JSON-decoded, and one that is not JSON is kept as its
        bytes (``parse`` sends it to the DLQ alone)."""
        bodies: list[Any] = []
        # FastStream's batch parser has decoded each record's headers already.
        for record, headers in zip(msg.raw_message, msg.batch_headers, strict=True):
            name = headers.get("type")
            if name and name not in self._types:
                continue  # for other consumers
            value = record.value or b""
            try:
                bodies.append(json.loads(value))
            except (json.JSONDecodeError, UnicodeDecodeError):
                bodies.append(value)
        return bodies

    async def parse(self, bodies: list[Any], runtime: ServiceRuntime) -> list[Message]:
        """The batch's messages of the handled types, each event once; the invalid to the DLQ."""
        messages: dict[Any, Message] = {}
        for body in bodies:
            name = body.get("type") if isinstance(body, dict) else None
            if name is not None and name not in self._types:
                continue  # for other consumers
            if name is not None and self._wants is not None and not self._wants(body):
                continue  # of a handled type, but one the handler would ignore
            try:
                if isinstance(body, bytes):
                    raise MessageRefused("message is not JSON")
                if not isinstance(name, str):
                    raise MessageRefused("message has no string field 'type'")
                message = self._types[name].model_validate(body)
            except (ValidationError, MessageRefused) as exc:
                await dead_letter(
                    runtime.broker,
                    runtime.settings,
                    topic=self.topic,
                    body=body,
                    exc=exc,
                    consumer=self.consumer,
                )
                continue
            messages.setdefault(message.event_id, message)
        return list(messages.values())

    async def dispatch_batch(self, bodies: list[Any], runtime: ServiceRuntime) -> None:
        """Parse, de-duplicate and hand one batch to the handler."""
        messages = await self.parse(bodies, runtime)
        if not messages:
            return
        trace.get_current_span().set_attribute("patronage.consumer", self.consumer)
        if not self.claims:
            await self._handler(messages, runtime)
            return
        fresh, claim = await ProcessedBatches(runtime.projections, self.consumer).claim(
            [m.event_id for m in messages]
        )
        if len(fresh) < len(messages):
            log.info(
                "duplicate deliveries skipped",
                consumer=self.consumer,
                count=len(messages) - len(fresh),
            )
        todo = [m for m in messages if m.event_id in fresh]
        if todo:
            await self._handler(todo, runtime)
        await claim.done()

    def kafka_router(self, settings: ServiceSettings) -> KafkaRouter:
        """A FastStream batch subscriber of this service's consumer group on the topic."""
        router = KafkaRouter()

        @router.subscriber(
            settings.topic(self.topic),
            batch=True,
            max_records=self._max_records,
            batch_timeout_ms=self._batch_timeout_ms,
            # The broker answers a fetch once it holds this much or waited this long.
            fetch_min_bytes=BATCH_FETCH_MIN_BYTES,
            fetch_max_wait_ms=self._fetch_wait_ms,
            # Looks at each record's ``type`` header before decoding its JSON.
            decoder=self.decode,
            **subscription(
                settings, self.topic, consumer=self.consumer, description=self.description
            ),
        )
        async def consume(bodies: list[Any], runtime: HandlerRuntime) -> None:
            await self.dispatch_batch(bodies, runtime)

        return router
