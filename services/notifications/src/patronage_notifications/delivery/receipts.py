"""Delivery receipts: a channel's word, after the send, that the recipient got a message.

The SMS gateway calls back with delivered/failed per message; a replica that pushed an
in-app notification to an open browser stream records it delivered. A notification has at
most one receipt (``delivery_receipts``, ``_id`` = notification id, inserted once): the
first one is final, a repeat of it is a no-op, and a receipt never edits the attempts.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from patronage_common.store import Database, Document
from pymongo.errors import DuplicateKeyError

from .channels import DeliveryStatus

RECEIPTS = "delivery_receipts"


class ReceiptStatus(StrEnum):
    """What a receipt can say."""

    DELIVERED = DeliveryStatus.DELIVERED.value
    FAILED = DeliveryStatus.FAILED.value


@dataclass(frozen=True)
class Recorded:
    """The receipt a notification has, and whether this call stored it."""

    receipt: Document
    new: bool


async def record_receipt(
    *,
    db: Database,
    notification_id: str,
    status: ReceiptStatus,
    source: str,
    at: datetime,
    error: str | None = None,
    provider_id: str | None = None,
) -> Recorded:
    """Store the notification's receipt unless it has one; return the one it has."""
    receipt: Document = {
        "_id": notification_id,
        "status": status.value,
        "source": source,
        "at": at,
        **({"error": error} if error else {}),
        **({"provider_id": provider_id} if provider_id else {}),
    }
    try:
        await db[RECEIPTS].insert_one(receipt)
    except DuplicateKeyError:
        existing = await receipt_of(db=db, notification_id=notification_id)
        if existing is None:  # pragma: no cover - receipts are never deleted
            raise
        return Recorded(receipt=existing, new=False)
    return Recorded(receipt=receipt, new=True)


async def receipt_of(*, db: Database, notification_id: str) -> Document | None:
    """The notification's receipt, if a channel sent one."""
    return await db[RECEIPTS].find_one({"_id": notification_id})


def with_receipt(notification: dict[str, Any], receipt: Document | None) -> dict[str, Any]:
    """A notification as the API shows it, its status and history completed by the receipt."""
    if receipt is None:
        return notification
    entry = {
        "status": receipt["status"],
        "at": receipt["at"],
        "source": receipt["source"],
        **({"error": receipt["error"]} if receipt.get("error") else {}),
    }
    return {
        **notification,
        "status": receipt["status"],
        "history": [*notification["history"], entry],
    }
