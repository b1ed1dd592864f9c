"""A batching producer for the service's own high-volume events (NotificationRecorded).

FastStream's publish awaits each message through its middlewares; here a batch of
notifications hands all its events to aiokafka at once and awaits the acks together.
"""

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from patronage_contracts import Message, topic_of

from .settings import NotificationsSettings


class BatchPublisher:
    """Idempotent, acks=all producer keyed by family, like every producer of the bus."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to Kafka."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=f"{self._settings.service_name}-batch",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            # A batch's events go out together: large produce requests, few of them.
            max_batch_size=512 * 1024,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, message: Message) -> "asyncio.Future[Any]":
        """Queue one message; the returned future resolves when Kafka acknowledged it."""
        if self._producer is None:
            raise RuntimeError("the batch publisher is not started")
        future: asyncio.Future[Any] = await self._producer.send(
            self._settings.topic(topic_of(message)),
            message.model_dump_json().encode(),
            key=message.key,
            headers=[
                ("type", message.type.encode()),
                ("event_id", str(message.event_id).encode()),
            ],
        )
        return future
