"""Typed, idempotent consumption of a topic that carries several message types."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.kafka import KafkaRouter
from opentelemetry import trace
from patronage_contracts import Message, message_type

from .logging import get_logger
from .messaging import CONSUMER_ACK_POLICY, MessageRefused
from .runtime import HandlerRuntime, ServiceRuntime
from .settings import ServiceSettings

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
Handler = Callable[[Any, ServiceRuntime], Awaitable[None]]


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

    def handles(
        self, model: type[M]
    ) -> Callable[
        [Callable[[M, ServiceRuntime], Awaitable[None]]],
        Callable[[M, ServiceRuntime], Awaitable[None]],
    ]:
        """Decorator: register a handler of ``model`` messages."""

        def register(
            fn: Callable[[M, ServiceRuntime], Awaitable[None]],
        ) -> Callable[[M, ServiceRuntime], Awaitable[None]]:
            self.add(model, fn)
            return fn

        return register

    def add(self, model: type[M], fn: Callable[[M, ServiceRuntime], Awaitable[None]]) -> None:
        """Register a handler of ``model`` messages."""
        self._handlers[model] = fn

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
            # One group per consumer and topic: replicas of the service share it, and
            # the service's other subscribers do not rebalance with it.
            group_id=f"{settings.topic_prefix}{self.consumer}@{self.topic}",
            auto_offset_reset="earliest",
            ack_policy=CONSUMER_ACK_POLICY,
            title=f"{self.consumer}:{self.topic}",
            description=self.description or None,
        )
        async def consume(body: dict[str, Any], runtime: HandlerRuntime) -> None:
            await self.dispatch(body, runtime)

        return router
