"""Hand notifications to their channels: retries with backoff, permanent failures alert."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from patronage_common.logging import get_logger
from patronage_common.store import Document
from patronage_contracts import ContactUnreachable, NotificationChannel, RecipientRole

from ..contacts import service as contacts
from ..contacts.flows import forget_contact
from ..context import Notifier
from . import service as store
from .channels import (
    Button,
    DeliveryStatus,
    OutgoingMessage,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)

log = get_logger(__name__)
UNREACHABLE_NAMESPACE = uuid.UUID("0b8f3a4e-8f43-4b8e-a1a3-3c9d6f1e7a52")


def backoff_s(attempt: int, *, base_s: float, max_s: float) -> float:
    """Wait before attempt ``attempt + 1``: base, 2×base, 4×base … capped."""
    return float(min(max_s, base_s * 2 ** (attempt - 1)))


def outgoing(notification: Document) -> OutgoingMessage:
    """The channel's view of a stored notification."""
    return OutgoingMessage(
        notification_id=notification["_id"],
        address=notification["address"],
        subject=notification["subject"],
        body=notification["text"],
        recipient_id=notification["recipient_id"],
        urgent=notification.get("urgent", False),
        buttons=tuple(
            Button(text=b["text"], data=b["data"]) for b in notification.get("buttons") or []
        ),
        recipient_role=RecipientRole(notification["recipient_role"]),
        family_id=notification.get("family_id"),
    )


async def deliver(
    *, notifier: Notifier, notifications: Sequence[Document], attempts: Sequence[int] = ()
) -> None:
    """Send each notification once (attempt numbers default to 1) and record the outcome.

    The batch is handed over by at most ``channel_concurrency`` workers, each taking the
    next notification when its channel answered: a batch costs that many tasks, not one
    per notification. Outcomes are stored in one bulk insert before anything else.
    """
    if not notifications:
        return
    numbers = list(attempts) or [1] * len(notifications)
    records: list[Document | None] = [None] * len(notifications)
    queue = iter(range(len(notifications)))

    async def worker() -> None:
        for index in queue:
            records[index] = await _attempt(notifier, notifications[index], numbers[index])

    workers = min(len(notifications), notifier.settings.channel_concurrency)
    await asyncio.gather(*(worker() for _ in range(workers)))
    outcomes = [r for r in records if r is not None]
    db = notifier.runtime.db
    await store.record_attempts(db=db, attempts=outcomes)
    retries: dict[int, list[str]] = defaultdict(list)
    for record in outcomes:
        if record["status"] == DeliveryStatus.RETRYING.value:
            bucket = store.bucket_of(record["next_at"], notifier.settings.schedule_bucket_s)
            retries[bucket].append(record["notification_id"])
    await store.schedule(db=db, buckets=retries)
    by_id = {n["_id"]: n for n in notifications}
    for record in outcomes:
        if record.get("permanent"):
            await _unreachable(notifier, by_id[record["notification_id"]], record["error"])


async def _attempt(notifier: Notifier, notification: Document, number: int) -> Document:
    now = notifier.clock()
    record: Document = {
        "_id": f"{notification['_id']}#{number}",
        "notification_id": notification["_id"],
        "attempt": number,
        "at": now,
    }
    channel = notifier.channels.get(NotificationChannel(notification["channel"]))
    try:
        if channel is None:
            raise PermanentDeliveryError(f"канал {notification['channel']} не настроен")
        # asyncio.timeout, not wait_for: no extra task per notification.
        async with asyncio.timeout(notifier.settings.channel_timeout_s):
            receipt: Receipt = await channel.send(outgoing(notification))
    except PermanentDeliveryError as exc:
        return {
            **record,
            "status": DeliveryStatus.FAILED.value,
            "error": str(exc),
            "permanent": True,
        }
    except (TransientDeliveryError, TimeoutError) as exc:
        error = str(exc) or type(exc).__name__
        if number >= notifier.settings.delivery_max_attempts:
            return {**record, "status": DeliveryStatus.FAILED.value, "error": error}
        delay = backoff_s(
            number,
            base_s=notifier.settings.delivery_retry_base_s,
            max_s=notifier.settings.delivery_retry_max_s,
        )
        return {
            **record,
            "status": DeliveryStatus.RETRYING.value,
            "error": error,
            "next_at": now + timedelta(seconds=delay),
        }
    except Exception as exc:
        # A bug or misconfiguration in a channel: keep the notification, retry later.
        log.exception("channel failed unexpectedly", notification_id=notification["_id"])
        return {
            **record,
            "status": DeliveryStatus.RETRYING.value,
            "error": f"{type(exc).__name__}: {exc}",
            "next_at": now + timedelta(seconds=notifier.settings.delivery_retry_max_s),
        }
    status = DeliveryStatus.DELIVERED if receipt.delivered else DeliveryStatus.SENT
    return {**record, "status": status.value, "provider_id": receipt.provider_id}


async def _unreachable(notifier: Notifier, notification: Document, reason: str) -> None:
    """Mark the contact unreachable and alert the curator (once per notification)."""
    if notification["recipient_role"] != RecipientRole.FAMILY.value:
        return
    db = notifier.runtime.db
    if not await store.claim(db=db, key=f"unreachable:{notification['_id']}"):
        return
    channel = NotificationChannel(notification["channel"])
    family_id = notification["family_id"]
    now: datetime = notifier.clock()
    await contacts.mark_unreachable(
        db=db, family_id=family_id, channel=channel, reason=reason, at=now
    )
    forget_contact(notifier, family_id)
    contact = await contacts.get_contact(db=db, family_id=family_id)
    event = ContactUnreachable(
        event_id=uuid.uuid5(UNREACHABLE_NAMESPACE, notification["_id"]),
        family_id=uuid.UUID(family_id),
        channel=channel,
        reason=reason,
        notification_id=notification["_id"],
        curator_id=(contact or {}).get("curator_id"),
    )
    await notifier.runtime.publisher.publish(event)
    from ..notifications.flows import notify  # the alert is itself a notification

    await notify(notifier=notifier, events=[event])
