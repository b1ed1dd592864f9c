"""Backoff after failed logins: a few free attempts, then a doubling lockout."""

from datetime import datetime, timedelta


def lockout_for(failures: int, *, free: int, base_s: float, max_s: float) -> timedelta:
    """How long a login stays locked after ``failures`` consecutive failures."""
    if failures < free:
        return timedelta(0)
    return timedelta(seconds=min(base_s * 2 ** (failures - free), max_s))


def seconds_left(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds until the lock ends (0: not locked)."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, int((locked_until - now).total_seconds() + 0.999))
