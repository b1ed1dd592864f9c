from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from patronage_requests.appointments.catalogue import load_catalogue
from patronage_requests.appointments.domain import (
    SlotRefusedError,
    bucket_id,
    bucket_starts,
    check_slot,
    check_slot_range,
    reminders_for,
    slot_claim_id,
    slots_between,
    slots_on,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)
PSYCHOLOGIST = load_catalogue().get("psychologist-orlova")
assert PSYCHOLOGIST is not None


def msk(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def test_a_reception_period_is_cut_into_slots_in_utc() -> None:
    slots = slots_on(PSYCHOLOGIST, MONDAY, MSK)  # пн 09:00–13:00 по 60 минут
    assert [s.starts_at for s in slots] == [msk(MONDAY, h) for h in (9, 10, 11, 12)]
    assert slots[0].starts_at.tzinfo == UTC
    assert slots[0].starts_at.hour == 6
    assert slots[-1].ends_at == msk(MONDAY, 13)


def test_days_without_reception_have_no_slots() -> None:
    assert slots_on(PSYCHOLOGIST, MONDAY + timedelta(days=1), MSK) == []
    week = slots_between(PSYCHOLOGIST, MONDAY, MONDAY + timedelta(days=6), MSK)
    assert len(week) == 12  # пн, ср, пт по четыре слота


def test_a_scheduled_future_slot_can_be_booked() -> None:
    slot = check_slot(PSYCHOLOGIST, msk(MONDAY, 10), now=msk(MONDAY, 8), tz=MSK, horizon_days=60)
    assert slot.ends_at == msk(MONDAY, 11)


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (msk(MONDAY, 10, 30), "не время приёма"),
        (msk(MONDAY + timedelta(days=1), 10), "пн 09:00–13:00"),
        (msk(MONDAY, 9), "уже прошло"),
        (msk(MONDAY + timedelta(days=63), 10), "не более чем на 60 дней"),
    ],
)
def test_a_slot_outside_the_schedule_in_the_past_or_too_far_is_refused(
    starts_at: datetime, message: str
) -> None:
    with pytest.raises(SlotRefusedError, match=message):
        check_slot(PSYCHOLOGIST, starts_at, now=msk(MONDAY, 9, 30), tz=MSK, horizon_days=60)


def test_slot_listings_are_bounded() -> None:
    check_slot_range(MONDAY, MONDAY + timedelta(days=13))
    with pytest.raises(SlotRefusedError, match="не более чем на 14 дней"):
        check_slot_range(MONDAY, MONDAY + timedelta(days=14))
    with pytest.raises(SlotRefusedError, match="раньше"):
        check_slot_range(MONDAY, MONDAY - timedelta(days=1))


def test_the_same_slot_has_the_same_claim_whatever_the_time_zone_it_is_written_in() -> None:
    local = msk(MONDAY, 10)
    assert slot_claim_id("lawyer-belov", local) == "slot:lawyer-belov:2026-11-23T07:00Z"
    assert slot_claim_id("lawyer-belov", local.astimezone(UTC)) == slot_claim_id(
        "lawyer-belov", local
    )


def test_only_future_reminders_are_scheduled() -> None:
    appointment = uuid4()
    starts_at = msk(MONDAY, 10)
    both = reminders_for(
        appointment, starts_at, (1440, 120), now=msk(MONDAY, 6) - timedelta(days=2)
    )
    assert [r.due_at for r in both] == [starts_at - timedelta(days=1), msk(MONDAY, 8)]
    late = reminders_for(appointment, starts_at, (1440, 120), now=msk(MONDAY, 7))
    assert [r.minutes_before for r in late] == [120]
    assert reminders_for(appointment, starts_at, (1440, 120), now=msk(MONDAY, 9)) == []


def test_a_reminder_after_a_reschedule_is_another_reminder() -> None:
    appointment = uuid4()
    (before,) = reminders_for(appointment, msk(MONDAY, 10), (120,), now=msk(MONDAY, 6))
    (after,) = reminders_for(appointment, msk(MONDAY, 11), (120,), now=msk(MONDAY, 6))
    assert before.sent_id != after.sent_id


def test_reminders_are_bucketed_by_ten_minutes() -> None:
    moment = datetime(2026, 11, 23, 14, 7, 31, tzinfo=UTC)
    assert bucket_id(moment) == "remind:202611231400"
    assert bucket_id(moment + timedelta(minutes=3)) == "remind:202611231410"
    starts = bucket_starts(moment, moment + timedelta(minutes=25))
    assert [s.minute for s in starts] == [0, 10, 20, 30]


def test_a_region_file_replaces_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "specialists.yaml"
    path.write_text(
        """
specialists:
  - id: lawyer-one
    kind: lawyer
    title: Юрист Первый
    office: {address: "г. Елец, ул. Мира, д. 1"}
    schedule: [{weekday: sat, start: "10:00", end: "12:00", slot_minutes: 40}]
""",
        "utf-8",
    )
    catalogue = load_catalogue(path)
    (lawyer,) = catalogue.specialists
    assert len(slots_on(lawyer, MONDAY + timedelta(days=5), MSK)) == 3


def test_a_broken_schedule_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "specialists.yaml"
    path.write_text(
        """
specialists:
  - id: lawyer-one
    kind: lawyer
    title: Юрист Первый
    office: {address: "г. Елец, ул. Мира, д. 1"}
    schedule: [{weekday: sat, start: "12:00", end: "10:00", slot_minutes: 40}]
""",
        "utf-8",
    )
    with pytest.raises(ValidationError, match="ends before it starts"):
        load_catalogue(path)
