"""The one interface every channel implements, and the errors that steer retries."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from patronage_contracts import NotificationChannel, RecipientRole


class DeliveryStatus(StrEnum):
    """Where a notification stands."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


FINAL_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED})


@dataclass(frozen=True)
class Button:
    """An inline button under a message (Telegram)."""

    text: str
    data: str


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel sends: the address, the Russian text, and who it is for."""

    notification_id: str
    address: str
    subject: str
    body: str
    recipient_id: str
    urgent: bool = False
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    recipient_role: RecipientRole = RecipientRole.FAMILY
    family_id: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A channel took the message: ``delivered`` when it confirms the recipient got it."""

    delivered: bool
    provider_id: str | None = None


class TransientDeliveryError(Exception):
    """Try again later: the channel is down, slow or rate-limiting."""


class PermanentDeliveryError(Exception):
    """Never try this address again: the bot is blocked, the mailbox does not exist."""


class Channel(Protocol):
    """A way to reach a person."""

    kind: NotificationChannel

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Send one message; raise Transient/PermanentDeliveryError on failure."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
