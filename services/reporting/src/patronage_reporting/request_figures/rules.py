"""What counts as open, responded and resolved: the reporting rules of a request's life."""

from patronage_contracts import AgencyTaskStatus, RequestStatus

OPEN_STATUSES = frozenset(
    {
        RequestStatus.NEW.value,
        RequestStatus.ROUTED.value,
        RequestStatus.ACCEPTED.value,
        RequestStatus.IN_PROGRESS.value,
        RequestStatus.NEEDS_INFO.value,
    }
)
"""A request in these statuses counts in its curator's open requests."""

RESOLUTION_STATUSES = frozenset(
    {RequestStatus.RESOLVED.value, RequestStatus.REJECTED.value, RequestStatus.CLOSED.value}
)
"""The first entry into one of these stops the resolution clock (cancelled does not)."""

TASK_SENT = "sent"
"""An agency task before the agency said anything."""

TASK_FINAL = frozenset({AgencyTaskStatus.RESOLVED.value, AgencyTaskStatus.REJECTED.value})


def is_open(status: str | None) -> bool:
    """Whether a request in ``status`` is still being handled."""
    return status in OPEN_STATUSES
