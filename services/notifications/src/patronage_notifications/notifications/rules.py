"""Who is told of a request status change, and with which text (no I/O here)."""

from dataclasses import dataclass

from patronage_contracts import NotificationChannel, RecipientRole, RequestStatusChanged
from patronage_contracts.labels import NEED_CATEGORY_RU, REQUEST_STATUS_RU


@dataclass(frozen=True)
class Decision:
    """One notification to send."""

    recipient_role: RecipientRole
    recipient_id: str
    channel: NotificationChannel
    template: str
    text: str


def decide_status_change(event: RequestStatusChanged) -> list[Decision]:
    """The curator of the family hears of every status change of its requests."""
    if not event.curator_id:
        return []
    text = (
        f"Заявка «{NEED_CATEGORY_RU[event.category]}»: статус «{REQUEST_STATUS_RU[event.status]}»"
        + (f". {event.reason}" if event.reason else "")
    )
    return [
        Decision(
            recipient_role=RecipientRole.CURATOR,
            recipient_id=event.curator_id,
            channel=NotificationChannel.IN_APP,
            template="request_status_changed",
            text=text,
        )
    ]
