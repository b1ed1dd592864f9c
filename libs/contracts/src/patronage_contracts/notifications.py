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


NOTIFICATION_EVENTS = (NotificationRecorded,)
