"""Rules of appointments, without I/O: slots of a schedule, bookability, reminder times."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from .catalogue import WEEKDAY_RU, Specialist

REMINDER_BUCKET_MINUTES = 10
MAX_SLOT_RANGE_DAYS = 14


class SlotRefusedError(ValueError):
    """The slot cannot be booked; the message says why, in Russian."""


@dataclass(frozen=True)
class Slot:
    """One bookable period of a specialist, in UTC."""

    starts_at: datetime
    ends_at: datetime


def slots_on(specialist: Specialist, day: date, tz: ZoneInfo) -> list[Slot]:
    """The specialist's slots on a local calendar day, in order."""
    slots = []
    for hours in specialist.schedule:
        if hours.weekday != day.weekday():
            continue
        step = timedelta(minutes=hours.slot_minutes)
        start = datetime.combine(day, hours.start, tz)
        end = datetime.combine(day, hours.end, tz)
        while start + step <= end:
            slots.append(Slot(start.astimezone(UTC), (start + step).astimezone(UTC)))
            start += step
    return sorted(slots, key=lambda s: s.starts_at)


def slots_between(specialist: Specialist, first: date, last: date, tz: ZoneInfo) -> list[Slot]:
    """The specialist's slots from ``first`` to ``last`` (local days, both included)."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [slot for day in days for slot in slots_on(specialist, day, tz)]


def local_label(moment: datetime, tz: ZoneInfo) -> str:
    """``23.11.2026 10:00`` in the region's time zone."""
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def schedule_label(specialist: Specialist) -> str:
    """``пн 09:00–13:00, ср 14:00–18:00``."""
    hours = sorted(specialist.schedule, key=lambda h: (h.weekday, h.start))
    return ", ".join(f"{WEEKDAY_RU[h.weekday]} {h.start:%H:%M}–{h.end:%H:%M}" for h in hours)


def check_slot(
    specialist: Specialist, starts_at: datetime, *, now: datetime, tz: ZoneInfo, horizon_days: int
) -> Slot:
    """The slot starting at ``starts_at`` if it can be booked now; else SlotRefusedError."""
    label = local_label(starts_at, tz)
    slot = next(
        (
            s
            for s in slots_on(specialist, starts_at.astimezone(tz).date(), tz)
            if s.starts_at == starts_at
        ),
        None,
    )
    if slot is None:
        raise SlotRefusedError(
            f"{label} — не время приёма: {specialist.title} принимает "
            f"{schedule_label(specialist)}; выберите слот из расписания"
        )
    if slot.starts_at <= now:
        raise SlotRefusedError(f"время приёма {label} уже прошло; выберите другое")
    if slot.starts_at > now + timedelta(days=horizon_days):
        raise SlotRefusedError(f"запись открыта не более чем на {horizon_days} дней вперёд")
    return slot


def check_slot_range(first: date, last: date) -> None:
    """A slot listing covers at most ``MAX_SLOT_RANGE_DAYS`` days, in order."""
    if last < first:
        raise SlotRefusedError("дата «по» раньше даты «с»")
    if (last - first).days + 1 > MAX_SLOT_RANGE_DAYS:
        raise SlotRefusedError(
            f"расписание показывается не более чем на {MAX_SLOT_RANGE_DAYS} дней"
        )


def slot_claim_id(specialist_id: str, starts_at: datetime) -> str:
    """``_id`` of the claim on one slot: only one appointment can insert it."""
    return f"slot:{specialist_id}:{starts_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


@dataclass(frozen=True)
class Reminder:
    """One reminder of an appointment at a given slot."""

    appointment_id: UUID
    starts_at: datetime
    minutes_before: int

    @property
    def due_at(self) -> datetime:
        """When the reminder is to be sent."""
        return self.starts_at - timedelta(minutes=self.minutes_before)

    @property
    def sent_id(self) -> str:
        """``_id`` of the record that the reminder was sent: only one sender inserts it."""
        return (
            f"reminder:{self.appointment_id}:"
            f"{self.starts_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}:{self.minutes_before}"
        )


def reminders_for(
    appointment_id: UUID, starts_at: datetime, offsets_min: Iterable[int], *, now: datetime
) -> list[Reminder]:
    """Reminders of an appointment still in the future (a late booking skips past ones)."""
    reminders = [Reminder(appointment_id, starts_at, offset) for offset in offsets_min]
    return [r for r in reminders if r.due_at > now]


def bucket_start(moment: datetime) -> datetime:
    """Start of the reminder time bucket holding ``moment`` (UTC)."""
    moment = moment.astimezone(UTC)
    minute = moment.minute - moment.minute % REMINDER_BUCKET_MINUTES
    return moment.replace(minute=minute, second=0, microsecond=0)


def bucket_id(moment: datetime) -> str:
    """``remind:202611231400``: the bucket document of reminders due around ``moment``."""
    return f"remind:{bucket_start(moment):%Y%m%d%H%M}"


def bucket_starts(first: datetime, last: datetime) -> list[datetime]:
    """Starts of the buckets from the one holding ``first`` to the one holding ``last``."""
    step = timedelta(minutes=REMINDER_BUCKET_MINUTES)
    current, end = bucket_start(first), bucket_start(last)
    starts = []
    while current <= end:
        starts.append(current)
        current += step
    return starts
