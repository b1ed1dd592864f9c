"""The rules of a help request's life, free of I/O."""

from collections.abc import Iterable

from patronage_contracts import AgencyTaskStatus, RequestStatus

TASK_SENT = "sent"
"""State of an agency task before the agency said anything."""

_TERMINAL = {AgencyTaskStatus.RESOLVED.value, AgencyTaskStatus.REJECTED.value}
_OPEN_REPORTS = {
    AgencyTaskStatus.ACCEPTED,
    AgencyTaskStatus.IN_PROGRESS,
    AgencyTaskStatus.NEEDS_INFO,
    AgencyTaskStatus.RESOLVED,
    AgencyTaskStatus.REJECTED,
}

TASK_TRANSITIONS: dict[str, frozenset[AgencyTaskStatus]] = {
    TASK_SENT: frozenset(_OPEN_REPORTS),
    AgencyTaskStatus.ACCEPTED.value: frozenset(_OPEN_REPORTS - {AgencyTaskStatus.ACCEPTED}),
    AgencyTaskStatus.IN_PROGRESS.value: frozenset(
        {AgencyTaskStatus.NEEDS_INFO, AgencyTaskStatus.RESOLVED, AgencyTaskStatus.REJECTED}
    ),
    AgencyTaskStatus.NEEDS_INFO.value: frozenset(_OPEN_REPORTS - {AgencyTaskStatus.NEEDS_INFO}),
    AgencyTaskStatus.RESOLVED.value: frozenset(),
    AgencyTaskStatus.REJECTED.value: frozenset(),
}


def can_move_task(current: str, reported: AgencyTaskStatus) -> bool:
    """Whether an agency task in ``current`` may move to ``reported``."""
    return reported in TASK_TRANSITIONS.get(current, frozenset())


def refusal_reason(current: str, reported: AgencyTaskStatus) -> str:
    """Why a reported status cannot be applied, for people."""
    if current in _TERMINAL:
        return f"задача уже завершена (статус {current}); статус {reported.value} не применён"
    return f"из статуса {current} нельзя перейти в {reported.value}"


def request_status_of(task_states: Iterable[str]) -> RequestStatus:
    """The request's status as its agency tasks make it."""
    states = list(task_states)
    if states and all(s in _TERMINAL for s in states):
        if any(s == AgencyTaskStatus.RESOLVED.value for s in states):
            return RequestStatus.RESOLVED
        return RequestStatus.REJECTED
    if AgencyTaskStatus.NEEDS_INFO.value in states:
        return RequestStatus.NEEDS_INFO
    if any(s in (AgencyTaskStatus.IN_PROGRESS.value, *_TERMINAL) for s in states):
        return RequestStatus.IN_PROGRESS
    if AgencyTaskStatus.ACCEPTED.value in states:
        return RequestStatus.ACCEPTED
    return RequestStatus.ROUTED
