"""Reminder scheduler: publishes AppointmentReminderDue once per reminder, on any replica.

Due reminders wait in time-bucket documents (``remind:<YYYYMMDDHHMM>``, one per
``REMINDER_BUCKET_MINUTES``). A shared cursor names the first bucket that may still hold
unsent reminders, so a restarted or second replica resumes where the others stopped. Each
reminder is claimed by inserting a record with a unique ``_id`` whose outbox carries the
event: whoever inserts it first publishes, everybody else gets DuplicateKeyError. A reminder
fires only while its appointment is still booked at the slot it was filed for, so the old
reminders of a cancelled or rescheduled appointment stay silent.
"""

import asyncio
from datetime import datetime
from uuid import UUID

from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_contracts import AppointmentReminderDue, SpecialistKind
from pymongo.errors import DuplicateKeyError

from ..deps import Clock
from . import service
from .domain import Reminder, bucket_start, bucket_starts
from .models import AppointmentStatus
from .service import REMINDERS_SENT

log = get_logger(__name__)


def reminder_event(reminder: Reminder, appointment: Document) -> AppointmentReminderDue:
    """The event that asks to remind the family of its appointment."""
    return AppointmentReminderDue(
        family_id=UUID(appointment["family_id"]),
        appointment_id=reminder.appointment_id,
        specialist_id=appointment["specialist_id"],
        specialist_kind=SpecialistKind(appointment["specialist_kind"]),
        specialist_title=appointment["specialist_title"],
        office_address=appointment["office_address"],
        starts_at=appointment["starts_at"],
        ends_at=appointment["ends_at"],
        minutes_before=reminder.minutes_before,
    )


class ReminderScheduler:
    """Finds due reminders and publishes each exactly once across replicas."""

    def __init__(self, runtime: ServiceRuntime, clock: Clock) -> None:
        self._runtime = runtime
        self._clock = clock

    async def run_once(self) -> int:
        """Publish every reminder due by now; return how many this instance published."""
        db = self._runtime.db
        now = self._clock()
        first = await service.reminder_cursor(db=db)
        if first is None or first > now:
            return 0
        sent = 0
        for start in bucket_starts(first, now):
            for reminder in await service.bucket_reminders(db=db, start=start):
                if reminder.due_at <= now and await self._fire(reminder, now):
                    sent += 1
        # The current bucket may still receive reminders due later in it: scan it again.
        await service.advance_reminder_cursor(db=db, to=bucket_start(now))
        return sent

    async def _fire(self, reminder: Reminder, now: datetime) -> bool:
        db = self._runtime.db
        if await service.reminder_sent(db=db, reminder=reminder):
            return False
        appointment = await service.get_appointment(db=db, appointment_id=reminder.appointment_id)
        if (
            appointment is None
            or appointment["status"] != AppointmentStatus.BOOKED
            or appointment["starts_at"] != reminder.starts_at
        ):
            return False
        if appointment["starts_at"] <= now:
            return False  # too late to remind of an appointment that has begun
        record = {
            "_id": reminder.sent_id,
            "appointment_id": str(reminder.appointment_id),
            "minutes_before": reminder.minutes_before,
            "sent_at": now,
        }
        try:
            await self._runtime.outbox.insert(
                REMINDERS_SENT, record, [reminder_event(reminder, appointment)]
            )
        except DuplicateKeyError:
            return False
        return True

    async def run(self, interval_s: float) -> None:
        """Run ``run_once`` every ``interval_s`` seconds until cancelled."""
        while True:
            try:
                sent = await self.run_once()
                if sent:
                    log.info("appointment reminders published", count=sent)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reminder scheduler pass failed; retrying")
            await asyncio.sleep(interval_s)
