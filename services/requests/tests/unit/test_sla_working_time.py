import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from patronage_requests.sla.working_time import (
    WorkingCalendar,
    add_business_time,
    business_time_between,
    load_calendar,
)

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
H = dt.timedelta(hours=1)
CAL = load_calendar()


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


def working_days(calendar: WorkingCalendar, year: int) -> int:
    day, count = dt.date(year, 1, 1), 0
    while day.year == year:
        count += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return count


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_packaged_calendar_has_the_official_number_of_working_days(year: int) -> None:
    assert working_days(CAL, year) == 247


def test_hours_norm_of_2025_counts_the_shortened_days() -> None:
    eight_hour_day = load_calendar(day_start=dt.time(9), day_end=dt.time(17))
    total = dt.timedelta(0)
    day = dt.date(2025, 1, 1)
    while day.year == 2025:
        hours = eight_hour_day.working_hours(day)
        if hours:
            total += hours[1] - hours[0]
        day += dt.timedelta(days=1)
    assert total == 1972 * H  # the official 2025 norm at 40 hours a week


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 1, 9), False),  # transfer of Sat Jan 3
        (dt.date(2026, 1, 12), True),
        (dt.date(2026, 2, 23), False),
        (dt.date(2026, 3, 9), False),  # Mar 8 fell on a Sunday
        (dt.date(2026, 5, 11), False),  # May 9 fell on a Saturday
        (dt.date(2026, 6, 12), False),
        (dt.date(2026, 11, 4), False),
        (dt.date(2026, 12, 31), False),  # transfer of Sun Jan 4
        (dt.date(2026, 12, 30), True),
        (dt.date(2025, 11, 1), True),  # a Saturday worked in 2025
        (dt.date(2025, 11, 3), False),
        (dt.date(2025, 5, 8), False),
        (dt.date(2025, 6, 13), False),
        (dt.date(2027, 5, 3), False),  # May 1 2027 is a Saturday
        (dt.date(2026, 3, 14), False),  # an ordinary Saturday
    ],
)
def test_holidays_and_transfers(day: dt.date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_within_one_working_day() -> None:
    assert add_business_time(msk(2026, 3, 2, 10), 3 * H, CAL) == msk(2026, 3, 2, 13)


def test_what_does_not_fit_moves_to_the_next_morning() -> None:
    # Monday 16:00 + 4 working hours: two today, two from Tuesday 09:00.
    assert add_business_time(msk(2026, 3, 2, 16), 4 * H, CAL) == msk(2026, 3, 3, 11)


def test_friday_afternoon_continues_on_monday() -> None:
    assert add_business_time(msk(2026, 3, 13, 17), 2 * H, CAL) == msk(2026, 3, 16, 10)


def test_a_start_outside_working_hours_counts_from_the_next_opening() -> None:
    assert add_business_time(msk(2026, 3, 2, 7, 30), H, CAL) == msk(2026, 3, 2, 10)
    assert add_business_time(msk(2026, 3, 2, 21), H, CAL) == msk(2026, 3, 3, 10)
    assert add_business_time(msk(2026, 3, 14, 12), H, CAL) == msk(2026, 3, 16, 10)


def test_new_year_holidays_are_skipped() -> None:
    # Tue Dec 30 2025, 17:00: one hour left that day; Dec 31 to Jan 11 are off.
    assert add_business_time(msk(2025, 12, 30, 17), 2 * H, CAL) == msk(2026, 1, 12, 10)


def test_the_march_transfer_is_skipped() -> None:
    # Fri Mar 6 2026 17:00; Sat 7, Sun 8 and Mon 9 (transfer) are off.
    assert add_business_time(msk(2026, 3, 6, 17), 2 * H, CAL) == msk(2026, 3, 10, 10)


def test_a_worked_saturday_counts() -> None:
    # Fri Oct 31 2025 17:00 -> Sat Nov 1 is worked (shortened, until 17:00).
    assert add_business_time(msk(2025, 10, 31, 17), 2 * H, CAL) == msk(2025, 11, 1, 10)


def test_pre_holiday_days_end_an_hour_early_unless_switched_off() -> None:
    # Thu Apr 30 2026 ends at 17:00; May 1-3 off; Mon May 4.
    assert add_business_time(msk(2026, 4, 30, 16), 2 * H, CAL) == msk(2026, 5, 4, 10)
    full_days = load_calendar(shortened_pre_holiday=False)
    assert add_business_time(msk(2026, 4, 30, 16), 2 * H, full_days) == msk(2026, 4, 30, 18)


def test_between_counts_only_working_hours() -> None:
    assert business_time_between(msk(2026, 3, 2, 10), msk(2026, 3, 2, 12), CAL) == 2 * H
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert business_time_between(msk(2026, 3, 13, 17), msk(2026, 3, 16, 10), CAL) == 2 * H
    # A whole week with the Mar 9 holiday: four days of nine hours.
    assert business_time_between(msk(2026, 3, 9), msk(2026, 3, 16), CAL) == 36 * H
    assert business_time_between(msk(2026, 3, 14, 1), msk(2026, 3, 15, 23), CAL) == dt.timedelta(0)


def test_between_is_negative_backwards_and_zero_for_the_same_instant() -> None:
    a, b = msk(2026, 3, 2, 10), msk(2026, 3, 3, 10)
    assert business_time_between(b, a, CAL) == -business_time_between(a, b, CAL) == -9 * H
    assert business_time_between(a, a, CAL) == dt.timedelta(0)


@pytest.mark.parametrize("minutes", [0, 1, 59, 60, 8 * 60, 9 * 60, 9 * 60 + 1, 45 * 60, 200 * 60])
@pytest.mark.parametrize(
    "start",
    [msk(2026, 3, 2, 10), msk(2025, 12, 30, 17, 30), msk(2026, 4, 30, 16, 45), msk(2025, 10, 31)],
)
def test_add_and_between_agree(start: dt.datetime, minutes: int) -> None:
    end = add_business_time(start, dt.timedelta(minutes=minutes), CAL)
    assert business_time_between(start, end, CAL) == dt.timedelta(minutes=minutes)


def test_instants_in_utc_give_the_same_answer_moscow_has_no_daylight_saving() -> None:
    # 07:00 UTC is 10:00 in Moscow in winter and in summer alike.
    winter = dt.datetime(2026, 1, 20, 7, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 20, 7, tzinfo=dt.UTC)
    assert add_business_time(winter, 8 * H, CAL) == msk(2026, 1, 20, 18)
    assert add_business_time(summer, 8 * H, CAL) == msk(2026, 7, 20, 18)
    assert add_business_time(summer, 8 * H, CAL).tzinfo == dt.UTC


def test_the_region_time_zone_moves_the_working_day() -> None:
    irkutsk = load_calendar(zone="Asia/Irkutsk")  # UTC+8
    start = dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)  # 09:00 in Irkutsk, 04:00 in Moscow
    assert add_business_time(start, H, irkutsk) == dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    assert add_business_time(start, H, CAL) == msk(2026, 3, 2, 10)


def test_a_naive_instant_or_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        add_business_time(dt.datetime(2026, 3, 2, 10), H, CAL)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(msk(2026, 3, 2, 10), -H, CAL)


def test_a_calendar_file_overrides_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("years:\n  2026:\n    non_working: [2026-03-03]\n")
    calendar = load_calendar(path)
    assert not calendar.is_working_day(dt.date(2026, 3, 3))
    assert calendar.is_working_day(dt.date(2026, 3, 9))  # not in this file
