"""Record the notifications an event calls for, once per event and recipient."""

from patronage_common.runtime import ServiceRuntime
from patronage_contracts import NotificationRecorded, RequestStatusChanged, utc_now
from pymongo.errors import DuplicateKeyError

from .rules import decide_status_change
from .service import NOTIFICATIONS


async def notify_status_change(*, runtime: ServiceRuntime, event: RequestStatusChanged) -> int:
    """Queue the notifications of a status change; return how many were new."""
    created = 0
    for decision in decide_status_change(event):
        # The id is a function of event and recipient: a redelivery cannot add a second one.
        notification_id = (
            f"{event.event_id}:{decision.recipient_role.value}:{decision.recipient_id}"
        )
        recorded = NotificationRecorded(
            **event.caused(),
            notification_id=notification_id,
            recipient_role=decision.recipient_role,
            recipient_id=decision.recipient_id,
            channel=decision.channel,
            template=decision.template,
            source_event_id=event.event_id,
            request_id=event.request_id,
        )
        document = {
            "_id": notification_id,
            "family_id": str(event.family_id),
            "request_id": str(event.request_id),
            "recipient_role": decision.recipient_role.value,
            "recipient_id": decision.recipient_id,
            "channel": decision.channel.value,
            "template": decision.template,
            "text": decision.text,
            "status": "queued",
            "created_at": utc_now(),
        }
        try:
            await runtime.outbox.insert(NOTIFICATIONS, document, [recorded])
            created += 1
        except DuplicateKeyError:
            await runtime.outbox.flush(NOTIFICATIONS, notification_id)
    return created
