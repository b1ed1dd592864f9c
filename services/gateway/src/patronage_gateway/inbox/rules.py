"""Which status an agency task may move to (the agency protocol's transitions)."""

from patronage_contracts import AgencyTaskStatus

TASK_SENT = "sent"
OPEN = frozenset(
    {
        AgencyTaskStatus.ACCEPTED,
        AgencyTaskStatus.IN_PROGRESS,
        AgencyTaskStatus.NEEDS_INFO,
        AgencyTaskStatus.RESOLVED,
        AgencyTaskStatus.REJECTED,
    }
)
# Mirrors the requests service's TASK_TRANSITIONS: offering only these keeps the
# worker's clicks from being refused there.
TRANSITIONS: dict[str, frozenset[AgencyTaskStatus]] = {
    TASK_SENT: OPEN,
    AgencyTaskStatus.ACCEPTED.value: OPEN - {AgencyTaskStatus.ACCEPTED},
    AgencyTaskStatus.IN_PROGRESS.value: frozenset(
        {AgencyTaskStatus.NEEDS_INFO, AgencyTaskStatus.RESOLVED, AgencyTaskStatus.REJECTED}
    ),
    AgencyTaskStatus.NEEDS_INFO.value: OPEN - {AgencyTaskStatus.NEEDS_INFO},
    AgencyTaskStatus.RESOLVED.value: frozenset(),
    AgencyTaskStatus.REJECTED.value: frozenset(),
}
TERMINAL = frozenset({AgencyTaskStatus.RESOLVED.value, AgencyTaskStatus.REJECTED.value})
TEXT_FIELD = {
    AgencyTaskStatus.NEEDS_INFO: "question",
    AgencyTaskStatus.RESOLVED: "result",
    AgencyTaskStatus.REJECTED: "reason",
}
TEXT_REQUIRED_RU = {
    AgencyTaskStatus.NEEDS_INFO: "Укажите, какие сведения нужны",
    AgencyTaskStatus.RESOLVED: "Опишите, что сделано",
    AgencyTaskStatus.REJECTED: "Укажите причину отказа",
}


def allowed_actions(status: str) -> list[AgencyTaskStatus]:
    """Statuses the worker may report next, in the protocol's order."""
    allowed = TRANSITIONS.get(status, frozenset())
    return [s for s in AgencyTaskStatus if s in allowed]


def text_problem(status: AgencyTaskStatus, text: str | None) -> str | None:
    """Why the text is missing for a status that needs one (None if fine)."""
    if status in TEXT_FIELD and not (text or "").strip():
        return TEXT_REQUIRED_RU[status]
    return None
