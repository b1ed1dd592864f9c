"""Data access for appointments, slot claims and reminder buckets; every read by ``_id``."""

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from patronage_common.store import Database, Document, upsert_one

from .domain import Reminder, Slot, bucket_id, bucket_start, slot_claim_id

APPOINTMENTS = "appointments"
SLOT_CLAIMS = "appointment_slots"
REMINDER_BUCKETS = "appointment_reminders"
REMINDERS_SENT = "appointment_reminders_sent"
REMINDER_CURSOR = "appointment_reminder_cursor"
CURSOR_ID = "cursor"


async def get_appointment(*, db: Database, appointment_id: UUID | str) -> Document | None:
    """The stored appointment, or None."""
    return await db[APPOINTMENTS].find_one({"_id": str(appointment_id)}, {"outbox": 0})


async def claim_slot(
    *, db: Database, claim_id: str, appointment_id: UUID, claimed_at: datetime
) -> None:
    """Take the slot for the appointment; DuplicateKeyError if someone holds it."""
    await db[SLOT_CLAIMS].insert_one(
        {"_id": claim_id, "appointment_id": str(appointment_id), "claimed_at": claimed_at}
    )


async def get_claim(*, db: Database, claim_id: str) -> Document | None:
    """Who holds a slot, or None if it is free."""
    return await db[SLOT_CLAIMS].find_one({"_id": claim_id})


async def release_slot(*, db: Database, claim_id: str, appointment_id: UUID | str) -> None:
    """Free the slot if this appointment holds it (never another appointment's claim)."""
    claim = await get_claim(db=db, claim_id=claim_id)
    if claim is not None and claim["appointment_id"] == str(appointment_id):
        await db[SLOT_CLAIMS].delete_one({"_id": claim_id})


async def booked_starts(
    *, db: Database, specialist_id: str, slots: Iterable[Slot]
) -> set[datetime]:
    """Starts of the given slots that someone holds (one ``_id`` read per slot)."""
    slots = list(slots)
    claims = await asyncio.gather(
        *(get_claim(db=db, claim_id=slot_claim_id(specialist_id, slot.starts_at)) for slot in slots)
    )
    return {slot.starts_at for slot, claim in zip(slots, claims, strict=True) if claim}


def _entry(reminder: Reminder) -> Document:
    return {
        "appointment_id": str(reminder.appointment_id),
        "starts_at": reminder.starts_at,
        "minutes_before": reminder.minutes_before,
    }


async def schedule_reminders(*, db: Database, reminders: Iterable[Reminder]) -> None:
    """File each reminder in its time bucket; keep the scanning cursor at or before it."""
    for reminder in reminders:
        await upsert_one(
            db[REMINDER_BUCKETS],
            {"_id": bucket_id(reminder.due_at)},
            {"$addToSet": {"reminders": _entry(reminder)}},
        )
        await upsert_one(
            db[REMINDER_CURSOR],
            {"_id": CURSOR_ID},
            {"$min": {"next_bucket": bucket_start(reminder.due_at)}},
        )


async def bucket_reminders(*, db: Database, start: datetime) -> list[Reminder]:
    """The reminders filed in the bucket starting at ``start``."""
    bucket = await db[REMINDER_BUCKETS].find_one({"_id": bucket_id(start)})
    entries: list[dict[str, Any]] = (bucket or {}).get("reminders") or []
    return [
        Reminder(UUID(e["appointment_id"]), e["starts_at"], int(e["minutes_before"]))
        for e in entries
    ]


async def reminder_cursor(*, db: Database) -> datetime | None:
    """Start of the first bucket that may still hold unsent reminders, or None."""
    cursor = await db[REMINDER_CURSOR].find_one({"_id": CURSOR_ID})
    return None if cursor is None else cursor.get("next_bucket")


async def advance_reminder_cursor(*, db: Database, to: datetime) -> None:
    """Move the cursor forward to ``to`` (never back: replicas may race)."""
    await upsert_one(db[REMINDER_CURSOR], {"_id": CURSOR_ID}, {"$max": {"next_bucket": to}})


async def reminder_sent(*, db: Database, reminder: Reminder) -> bool:
    """Whether some scheduler already claimed this reminder."""
    return await db[REMINDERS_SENT].find_one({"_id": reminder.sent_id}, {"_id": 1}) is not None


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored appointment."""
    hidden = {"_id", "outbox", "history"}
    return {
        "appointment_id": document["_id"],
        **{k: v for k, v in document.items() if k not in hidden},
    }
