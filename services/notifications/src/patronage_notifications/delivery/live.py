"""In-app notifications: live events for curators' browsers (server-sent events).

A curator's stream may be open on any replica, and the replica that decides a
notification is whichever consumed its event. So the in-app channel publishes each
notification on the ``notifications.in-app`` topic, and every replica reads that topic
whole (all partitions, from the end, with no consumer group: each replica gets every
message) and pushes each to the streams open on it. The replica that pushes records the
notification delivered (a receipt), since a browser had the stream open.
"""

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer
from patronage_common.logging import get_logger
from patronage_contracts import InAppNotificationSent, Message, NotificationChannel
from patronage_contracts.topics import IN_APP_TOPIC
from pydantic import ValidationError

from .channels import OutgoingMessage, Receipt
from .receipts import ReceiptStatus, record_receipt

if TYPE_CHECKING:
    from ..context import Notifier

log = get_logger(__name__)
QUEUE_SIZE = 1000
SENT_NAMESPACE = uuid.UUID("3c0f5b0e-7d0a-4a53-9f55-1f5b8f1e2c77")
ASSIGNMENT_TIMEOUT_S = 30.0


class LiveHub:
    """Fans a recipient's in-app notifications out to their open streams (this process)."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def listening(self, recipient_id: str) -> bool:
        """Whether the recipient has a stream open on this replica."""
        return bool(self._queues.get(recipient_id))

    def publish(self, recipient_id: str, item: dict[str, Any]) -> int:
        """Offer an item to every open stream of the recipient; return how many took it."""
        taken = 0
        for queue in list(self._queues.get(recipient_id, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(item)
                taken += 1
        return taken

    @contextlib.asynccontextmanager
    async def subscribe(self, recipient_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue receiving the recipient's items while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues[recipient_id].add(queue)
        try:
            yield queue
        finally:
            self._queues[recipient_id].discard(queue)
            if not self._queues[recipient_id]:
                del self._queues[recipient_id]


def sent_event_id(notification_id: str) -> uuid.UUID:
    """The event's id is a function of the notification: a retried send is a repeat."""
    return uuid.uuid5(SENT_NAMESPACE, notification_id)


class InAppChannel:
    """Hands in-app notifications to every replica's live streams through Kafka.

    Sent once Kafka has the message; the replica with the curator's stream open records
    it delivered. The inbox (the store) is the durable record either way.
    """

    kind = NotificationChannel.IN_APP

    def __init__(self, publish: Callable[[Message], Awaitable[None]]) -> None:
        self._publish = publish

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Publish the notification for the live streams (acknowledged by Kafka)."""
        if message.family_id is None:
            raise ValueError("an in-app notification needs the family it is about")
        await self._publish(
            InAppNotificationSent(
                event_id=sent_event_id(message.notification_id),
                family_id=uuid.UUID(message.family_id),
                notification_id=message.notification_id,
                recipient_role=message.recipient_role,
                recipient_id=message.recipient_id,
                subject=message.subject,
                text=message.body,
                urgent=message.urgent,
            )
        )
        return Receipt(delivered=False)

    async def close(self) -> None:
        """Nothing to release."""


def stream_item(event: InAppNotificationSent) -> dict[str, Any]:
    """What a browser receives in a ``notification`` event."""
    return {
        "notification_id": event.notification_id,
        "subject": event.subject,
        "text": event.text,
        "urgent": event.urgent,
    }


async def push(notifier: "Notifier", event: InAppNotificationSent) -> int:
    """Push to the recipient's streams on this replica, recorded delivered first."""
    if not notifier.hub.listening(event.recipient_id):
        return 0
    await record_receipt(
        db=notifier.runtime.db,
        notification_id=event.notification_id,
        status=ReceiptStatus.DELIVERED,
        source="in_app_stream",
        at=notifier.clock(),
    )
    return notifier.hub.publish(event.recipient_id, stream_item(event))


async def _positioned_consumer(notifier: "Notifier") -> AIOKafkaConsumer:
    """A group-less consumer of every partition of the topic, at its current end."""
    settings = notifier.settings
    topic = settings.topic(IN_APP_TOPIC.name)
    # Without a group, aiokafka assigns this consumer every partition of the topic.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-live",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + ASSIGNMENT_TIMEOUT_S
        while not consumer.assignment():
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(
                    f"Kafka did not show the partitions of {topic} within "
                    f"{ASSIGNMENT_TIMEOUT_S:.0f} s; check that the topic exists"
                )
            await asyncio.sleep(0.1)
        for partition in consumer.assignment():
            # Resolve the end now, so a stream opened after start-up misses nothing.
            await consumer.position(partition)
    except BaseException:
        await consumer.stop()
        raise
    return consumer


async def _relay(notifier: "Notifier", consumer: AIOKafkaConsumer) -> None:
    async for record in consumer:
        try:
            event = InAppNotificationSent.model_validate_json(record.value or b"")
        except ValidationError:
            log.warning("not an in-app notification", offset=record.offset)
            continue
        try:
            await push(notifier, event)
        except Exception:
            # A live push is best effort: the inbox keeps the notification.
            log.exception("live push failed", notification_id=event.notification_id)


@contextlib.asynccontextmanager
async def running_live_feed(notifier: "Notifier") -> AsyncIterator[None]:
    """Relay every replica's in-app notifications to this replica's streams."""
    consumer = await _positioned_consumer(notifier)
    task = asyncio.create_task(_relay(notifier, consumer), name="live-feed")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()
