"""What a delivery receipt from a channel's provider changes (the SMS gateway's callback)."""

from patronage_contracts import NotificationChannel

from ..context import Notifier
from . import service as store

# The same step (unreachable + curator alert) as when a channel refuses a send.
from .flows import _unreachable as mark_unreachable
from .receipts import ReceiptStatus, Recorded, record_receipt


class UnknownMessageError(LookupError):
    """No notification went out on this channel under this message id."""


async def record_sms_receipt(
    *,
    notifier: Notifier,
    message_id: str,
    status: ReceiptStatus,
    permanent: bool,
    error: str | None,
    provider_id: str | None,
) -> Recorded:
    """Record the gateway's word on an SMS; a permanent failure makes the phone unreachable.

    Safe to repeat: the first receipt of a message is final, and the curator is alerted
    once per notification.
    """
    db = notifier.runtime.db
    notification = await store.get_notification(db=db, notification_id=message_id)
    if notification is None or notification["channel"] != NotificationChannel.SMS.value:
        raise UnknownMessageError(message_id)
    recorded = await record_receipt(
        db=db,
        notification_id=message_id,
        status=status,
        source="sms_gateway",
        at=notifier.clock(),
        error=error,
        provider_id=provider_id,
    )
    if status is ReceiptStatus.FAILED and permanent and recorded.receipt["status"] == status:
        await mark_unreachable(notifier, notification, error or "SMS не доставлено оператором")
    return recorded
