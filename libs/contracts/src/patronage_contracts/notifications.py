"""Events published by the notifications service."""

from typing import Literal
from uuid import UUID

from .enums import NotificationChannel, RecipientRole
from .envelope import Event

PRODUCER = "notifications"


class NotificationRecorded(Event):
    """A notification was decided for a recipient and queued on a channel."""

    type: Literal["NotificationRecorded"] = "NotificationRecorded"
    producer: str = PRODUCER
    notification_id: str
    recipient_role: RecipientRole
    recipient_id: str
    channel: NotificationChannel
    template: str
    source_event_id: UUID
    request_id: UUID | None = None


class ContactUnreachable(Event):
    """A channel refused a notification for good (bot blocked, mailbox unknown).

    The family's contact on that channel is marked unreachable; the curator is alerted.
    """

    type: Literal["ContactUnreachable"] = "ContactUnreachable"
    producer: str = PRODUCER
    channel: NotificationChannel
    reason: str
    notification_id: str
    curator_id: str | None = None


class CallbackRequested(Event):
    """A family asked its curator to call back (through the chat-bot)."""

    type: Literal["CallbackRequested"] = "CallbackRequested"
    producer: str = PRODUCER
    curator_id: str | None = None
    phone: str | None = None
    note: str | None = None
    requested_via: NotificationChannel = NotificationChannel.TELEGRAM


class InAppNotificationSent(Event):
    """An in-app notification went out to the recipient's open browser streams.

    Every replica of the notifications service reads these (each on its own, without a
    consumer group) and pushes them to the streams its curators have open.
    """

    type: Literal["InAppNotificationSent"] = "InAppNotificationSent"
    producer: str = PRODUCER
    notification_id: str
    recipient_role: RecipientRole
    recipient_id: str
    subject: str
    text: str
    urgent: bool = False


IN_APP_EVENTS: tuple[type[Event], ...] = (InAppNotificationSent,)

NOTIFICATION_EVENTS: tuple[type[Event], ...] = (
    NotificationRecorded,
    ContactUnreachable,
    CallbackRequested,
)
