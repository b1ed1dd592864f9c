"""Decide, record and hand over the notifications events call for, in batches."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from patronage_common.logging import get_logger
from patronage_common.store import Document
from patronage_contracts import Event, NotificationRecorded, RecipientRole

from ..contacts.flows import contact_for
from ..contacts.service import Contact
from ..context import Notifier
from ..delivery import flows as delivery
from ..delivery import service as store
from ..delivery.channels import FINAL_STATUSES, DeliveryStatus
from ..delivery.logs import family_log, recipient_log
from .decisions import Decision, QuietHours, decide
from .templates import template_context

log = get_logger(__name__)
RECORDED_NAMESPACE = uuid.UUID("6f1c1d52-3d0e-4c55-9d7a-6b7d1f0a2e11")


def recorded_event_id(notification_id: str) -> uuid.UUID:
    """NotificationRecorded's id is a function of the notification: a republish is a repeat."""
    return uuid.uuid5(RECORDED_NAMESPACE, notification_id)


async def notify(*, notifier: Notifier, events: Sequence[Event]) -> int:
    """Record and send what ``events`` call for; return how many notifications were new.

    Safe to run again for the same events (a redelivered batch): existing notifications
    are not added twice, and those not yet delivered are delivered now.
    """
    now = notifier.clock()
    settings = notifier.settings
    quiet = QuietHours(notifier.zone, settings.quiet_hours_start, settings.quiet_hours_end)
    matched = [
        (event, data, rules)
        for event in events
        if (rules := notifier.rulebook.matching(event.type, data := event.model_dump(mode="json")))
    ]
    if not matched:
        return 0
    contacts = await _contacts(notifier, {str(e.family_id) for e, _, _ in matched})
    documents: list[Document] = []
    causes: dict[str, Event] = {}
    for event, data, rules in matched:
        for decision in decide(
            rules=rules,
            data=data,
            contact=contacts.get(str(event.family_id)),
            available=notifier.channels,
            now=now,
            quiet=quiet,
        ):
            document = _document(notifier, event, data, decision, now)
            documents.append(document)
            causes[document["_id"]] = event
    existing = await store.insert_notifications(db=notifier.runtime.db, documents=documents)
    new = [d for d in documents if d["_id"] not in existing]
    await _announce(notifier, new, causes)
    await _log(notifier, new)
    await store.schedule(
        db=notifier.runtime.db,
        buckets=_buckets([d for d in new if d["send_at"] is not None], settings.schedule_bucket_s),
    )
    now_due = [d for d in new if d["send_at"] is None]
    now_due += await _unfinished(notifier, [d for d in documents if d["_id"] in existing])
    await delivery.deliver(notifier=notifier, notifications=now_due)
    return len(new)


async def _contacts(notifier: Notifier, family_ids: set[str]) -> dict[str, Contact]:
    found = await asyncio.gather(
        *(contact_for(notifier=notifier, family_id=f) for f in sorted(family_ids))
    )
    return {c.family_id: c for c in found if c is not None}


def _document(
    notifier: Notifier, event: Event, data: dict[str, Any], decision: Decision, now: Any
) -> Document:
    rendered = notifier.templates.render(
        decision.rule.template, template_context(data, urgent=decision.urgent)
    )
    notification_id = store.notification_id(
        event_id=str(event.event_id),
        role=decision.recipient_role.value,
        recipient_id=decision.recipient_id,
        channel=decision.channel.value,
    )
    return {
        "_id": notification_id,
        "family_id": str(event.family_id),
        "event_type": event.type,
        "source_event_id": str(event.event_id),
        "request_id": data.get("request_id"),
        "recipient_role": decision.recipient_role.value,
        "recipient_id": decision.recipient_id,
        "channel": decision.channel.value,
        "address": decision.address,
        "template": decision.rule.template,
        "subject": rendered.subject,
        "text": rendered.body,
        "urgent": decision.urgent,
        "buttons": [{"text": b.text, "data": b.data} for b in decision.buttons],
        "status": (
            DeliveryStatus.SCHEDULED if decision.send_at is not None else DeliveryStatus.QUEUED
        ).value,
        "send_at": decision.send_at,
        "created_at": now,
    }


async def _announce(notifier: Notifier, new: list[Document], causes: dict[str, Event]) -> None:
    """Tell the bus (the gateway's workspace) about each new notification.

    All go to the batch producer first and their acknowledgements are awaited together:
    a batch costs one round of acks, not one per notification.
    """
    pending = []
    for d in new:
        cause = causes[d["_id"]]
        event = NotificationRecorded(
            **cause.caused(),
            event_id=recorded_event_id(d["_id"]),
            notification_id=d["_id"],
            recipient_role=d["recipient_role"],
            recipient_id=d["recipient_id"],
            channel=d["channel"],
            template=d["template"],
            source_event_id=cause.event_id,
            request_id=d["request_id"],
        )
        pending.append(await notifier.bus.send(event))
    await asyncio.gather(*pending)


async def _log(notifier: Notifier, new: list[Document]) -> None:
    """Append to each family's log and each staff recipient's inbox."""
    entries: dict[str, list[str]] = defaultdict(list)
    for d in new:
        entries[family_log(d["family_id"])].append(d["_id"])
        if d["recipient_role"] != RecipientRole.FAMILY.value:
            entries[recipient_log(d["recipient_role"], d["recipient_id"])].append(d["_id"])
    await notifier.logs.append(db=notifier.runtime.db, entries=entries, at=notifier.clock())


def _buckets(documents: list[Document], bucket_s: int) -> dict[int, list[str]]:
    buckets: dict[int, list[str]] = defaultdict(list)
    for d in documents:
        buckets[store.bucket_of(d["send_at"], bucket_s)].append(d["_id"])
    return buckets


async def _unfinished(notifier: Notifier, documents: list[Document]) -> list[Document]:
    """Of notifications recorded before (a redelivered event), those still to be sent now."""
    db = notifier.runtime.db
    pending = []
    for d in documents:
        stored = await store.get_notification(db=db, notification_id=d["_id"])
        if stored is None or stored.get("send_at") is not None:
            continue  # scheduled ones are the scheduler's
        attempts = await store.attempts_of(db=db, notification_id=d["_id"])
        if not attempts:
            pending.append(stored)
        elif store.current_status(stored, attempts) not in FINAL_STATUSES:
            continue  # a retry is scheduled
    return pending
