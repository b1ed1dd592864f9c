"""In-app notifications: live events for curators' browsers (server-sent events)."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from patronage_contracts import NotificationChannel

from .channels import OutgoingMessage, Receipt

QUEUE_SIZE = 1000


class LiveHub:
    """Fans a recipient's in-app notifications out to their open streams (this process)."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

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


class InAppChannel:
    """Stored in the recipient's inbox (by the flow) and pushed to their open streams."""

    kind = NotificationChannel.IN_APP

    def __init__(self, hub: LiveHub) -> None:
        self._hub = hub

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Push to live streams; delivered when a browser had the stream open."""
        taken = self._hub.publish(
            message.recipient_id,
            {
                "notification_id": message.notification_id,
                "subject": message.subject,
                "text": message.body,
                "urgent": message.urgent,
            },
        )
        return Receipt(delivered=taken > 0)

    async def close(self) -> None:
        """Nothing to release."""
