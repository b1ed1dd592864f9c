"""Quiet hours: nothing but urgent news reaches a family at night (region's local time)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local time of day falls in the quiet period (which may span midnight)."""
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(
    now: datetime, *, zone: ZoneInfo, start: time, end: time, urgent: bool
) -> datetime | None:
    """When a family notification may be sent: None for now, else the end of quiet hours."""
    if urgent:
        return None
    local = now.astimezone(zone)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
