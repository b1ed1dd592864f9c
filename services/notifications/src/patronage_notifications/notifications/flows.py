"""Decide, record and hand over the notifications events call for, in batches."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from patronage_common.logging import get_logger
from patronage_common.store import Document
from patronage_contracts import Event, NotificationRecorded, RecipientRole

from ..contacts.flows import cached_contact, contact_for
from ..contacts.service import Contact
from ..context import Notifier
from ..delivery import flows as delivery
from ..delivery import service as store
from ..delivery.channels import DeliveryStatus
from ..delivery.logs import family_log, recipient_log
from .decisions import Decision, QuietHours, decide
from .templates import template_context

log = get_logger(__name__)
RECORDED_NAMESPACE = uuid.UUID("6f1c1d52-3d0e-4c55-9d7a-6b7d1f0a2e11")
DECIDE_SLICE = 200  # events decided between two yields to the event loop


def recorded_event_id(notification_id: str) -> uuid.UUID:
    """NotificationRecorded's id is a function of the notification: a republish is a repeat."""
    return uuid.uuid5(RECORDED_NAMESPACE, notification_id)


async def notify(*, notifier: Notifier, events: Sequence[Event]) -> int:
    """Record and send what ``events`` call for; return how many notifications were new.

    The batch is decided in memory, its notifications are inserted in one bulk write whose
    unique ``_id``s (event:role:recipient:channel) let the store reject repeats, and only
    then are they announced, logged and handed over. Safe to run again for the same events
    (a redelivered batch, a repeated event): nothing is added twice, and what a crash left
    unsent is sent now.
    """
    matched = [
        (event, data, rules)
        for event in events
        if (rules := notifier.rulebook.matching(event.type, data := event.model_dump(mode="json")))
    ]
    if not matched:
        return 0
    contacts = await _contacts(notifier, {str(e.family_id) for e, _, _ in matched})
    documents, causes = await _decide_batch(notifier, matched, contacts)
    existing = await store.insert_notifications(
        db=notifier.runtime.db, documents=list(documents.values())
    )
    new = [d for notification_id, d in documents.items() if notification_id not in existing]
    unfinished = await _unfinished(notifier, sorted(existing))
    await _record(notifier, new + unfinished, causes)
    return len(new)


async def _decide_batch(
    notifier: Notifier,
    matched: list[tuple[Event, dict[str, Any], list[Any]]],
    contacts: dict[str, Contact],
) -> tuple[dict[str, Document], dict[str, Event]]:
    """Every notification of the batch by id: an event twice in a batch counts once."""
    now = notifier.clock()
    settings = notifier.settings
    quiet = QuietHours(notifier.zone, settings.quiet_hours_start, settings.quiet_hours_end)
    documents: dict[str, Document] = {}
    causes: dict[str, Event] = {}
    for n, (event, data, rules) in enumerate(matched, start=1):
        context = template_context(data)  # one per event, whatever its recipients
        for decision in decide(
            rules=rules,
            data=data,
            contact=contacts.get(str(event.family_id)),
            available=notifier.channels,
            now=now,
            quiet=quiet,
        ):
            document = _document(notifier, event, data, context, decision, now)
            if document["_id"] not in documents:
                documents[document["_id"]] = document
                causes[document["_id"]] = event
        if n % DECIDE_SLICE == 0:
            await asyncio.sleep(0)  # let the consumer's heartbeat and the API run
    return documents, causes


async def _record(
    notifier: Notifier, notifications: list[Document], causes: dict[str, Event]
) -> None:
    """Announce, log, schedule or hand over notifications stored but not yet sent."""
    if not notifications:
        return
    await _announce(notifier, notifications, causes)
    await _log(notifier, notifications)
    await store.schedule(
        db=notifier.runtime.db,
        buckets=_buckets(
            [d for d in notifications if d["send_at"] is not None],
            notifier.settings.schedule_bucket_s,
        ),
    )
    await delivery.deliver(
        notifier=notifier, notifications=[d for d in notifications if d["send_at"] is None]
    )


async def _contacts(notifier: Notifier, family_ids: set[str]) -> dict[str, Contact]:
    """Contacts of the batch's families: cached ones at once, the others read concurrently."""
    found: dict[str, Contact] = {}
    missing: list[str] = []
    for family_id in sorted(family_ids):
        contact = cached_contact(notifier, family_id)
        if contact is None:
            missing.append(family_id)
        else:
            found[family_id] = contact
    read = await asyncio.gather(*(contact_for(notifier=notifier, family_id=f) for f in missing))
    found.update({c.family_id: c for c in read if c is not None})
    return found


def _document(
    notifier: Notifier,
    event: Event,
    data: dict[str, Any],
    context: dict[str, Any],
    decision: Decision,
    now: Any,
) -> Document:
    rendered = notifier.templates.render(decision.rule.template, context, urgent=decision.urgent)
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


async def _unfinished(notifier: Notifier, notification_ids: list[str]) -> list[Document]:
    """Of notifications stored before (a repeated event), those a crash left unsent.

    The first attempt is recorded only after the notification was announced, logged and
    scheduled or handed over; without it, those steps are done again — each is idempotent
    (the same event id, a log entry readers count once, a set of ids per bucket). Reads are
    by ``_id``, concurrent, and only on this path.
    """
    db = notifier.runtime.db
    limit = asyncio.Semaphore(notifier.settings.channel_concurrency)

    async def unsent(notification_id: str) -> Document | None:
        async with limit:
            if await store.first_attempt(db=db, notification_id=notification_id) is not None:
                return None  # delivered, failed, or a retry is scheduled
            return await store.get_notification(db=db, notification_id=notification_id)

    found = await asyncio.gather(*(unsent(i) for i in notification_ids))
    return [d for d in found if d is not None]
