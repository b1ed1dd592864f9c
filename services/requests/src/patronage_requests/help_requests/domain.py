"""The rules of a help request's life, free of I/O.

A request is split into agency tasks. The agencies move their tasks (accepted, in
progress, needs info, resolved, rejected) and the request's status follows from them.
People act on the request as a whole: answer an agency's question, close, reopen, cancel,
hand a task off to another agency, give feedback. Each action is allowed only from some
statuses; ``action_refusal`` says why not, in Russian.
"""

from collections.abc import Iterable
from enum import StrEnum

from patronage_contracts import AgencyTaskStatus, RequestStatus
from patronage_contracts.labels import AGENCY_TASK_STATUS_RU, REQUEST_STATUS_RU

TASK_SENT = "sent"
"""State of an agency task before the agency said anything (also after a reopen)."""
TASK_CANCELLED = "cancelled"
"""The request was cancelled while the task was open."""
TASK_HANDED_OFF = "handed_off"
"""The task was handed off to another agency (a new task replaced it)."""

_TERMINAL = {AgencyTaskStatus.RESOLVED.value, AgencyTaskStatus.REJECTED.value}
_RETIRED = {TASK_CANCELLED, TASK_HANDED_OFF}
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
    TASK_CANCELLED: frozenset(),
    TASK_HANDED_OFF: frozenset(),
}


def can_move_task(current: str, reported: AgencyTaskStatus) -> bool:
    """Whether an agency task in ``current`` may move to ``reported``."""
    return reported in TASK_TRANSITIONS.get(current, frozenset())


TASK_STATE_RU: dict[str, str] = {
    TASK_SENT: "направлена",
    TASK_CANCELLED: "снята",
    TASK_HANDED_OFF: "передана другому ведомству",
    **{s.value: label for s, label in AGENCY_TASK_STATUS_RU.items()},
}


def _ru(state: str) -> str:
    return f"«{TASK_STATE_RU.get(state, state)}»"


def refusal_reason(current: str, reported: AgencyTaskStatus) -> str:
    """Why a reported status cannot be applied, for people."""
    wanted = _ru(reported.value)
    if current == TASK_CANCELLED:
        return f"заявка отменена, задача снята с ведомства; статус {wanted} не применён"
    if current == TASK_HANDED_OFF:
        return f"задача передана другому ведомству; статус {wanted} не применён"
    if current in _TERMINAL:
        return f"задача уже завершена (статус {_ru(current)}); статус {wanted} не применён"
    return f"из статуса {_ru(current)} нельзя перейти в {wanted}"


def next_statuses(current: str) -> list[AgencyTaskStatus]:
    """What an agency task in ``current`` may report next, in the protocol's order."""
    allowed = TASK_TRANSITIONS.get(current, frozenset())
    return [s for s in AgencyTaskStatus if s in allowed]


def is_active(task_state: str) -> bool:
    """Whether a task still counts for the request (not cancelled, not handed off)."""
    return task_state not in _RETIRED


def is_finished(task_state: str) -> bool:
    """Whether the agency finished the task (resolved or rejected)."""
    return task_state in _TERMINAL


def request_status_of(task_states: Iterable[str]) -> RequestStatus:
    """The request's status as its active agency tasks make it."""
    states = [s for s in task_states if is_active(s)]
    if not states:
        return RequestStatus.CANCELLED
    if all(s in _TERMINAL for s in states):
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


def resume_state(task_state: str, asked_from: str | None) -> str:
    """The state a task returns to once its question is answered."""
    if task_state != AgencyTaskStatus.NEEDS_INFO.value:
        return task_state
    return asked_from or TASK_SENT


class RequestAction(StrEnum):
    """What a person (curator, dispatcher, the family) can do with a request."""

    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"
    REROUTE = "reroute"
    FEEDBACK = "feedback"


OPEN_STATUSES = frozenset(
    {
        RequestStatus.NEW,
        RequestStatus.ROUTED,
        RequestStatus.ACCEPTED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.NEEDS_INFO,
    }
)

ALLOWED_FROM: dict[RequestAction, frozenset[RequestStatus]] = {
    RequestAction.ANSWER: frozenset({RequestStatus.NEEDS_INFO}),
    RequestAction.CLOSE: frozenset({RequestStatus.RESOLVED, RequestStatus.REJECTED}),
    RequestAction.REOPEN: frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED}),
    RequestAction.CANCEL: OPEN_STATUSES,
    RequestAction.REROUTE: OPEN_STATUSES | {RequestStatus.REJECTED},
    RequestAction.FEEDBACK: frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED}),
}

TARGET_OF: dict[RequestAction, RequestStatus] = {
    RequestAction.CLOSE: RequestStatus.CLOSED,
    RequestAction.REOPEN: RequestStatus.ROUTED,
    RequestAction.CANCEL: RequestStatus.CANCELLED,
}
"""Actions that put the request into one fixed status (the others follow from its tasks)."""

_ACTION_RU: dict[RequestAction, tuple[str, str]] = {
    RequestAction.ANSWER: (
        "ответить на вопрос ведомства",
        "ответ принимается, только когда ведомство запросило сведения",
    ),
    RequestAction.CLOSE: ("закрыть заявку", "закрыть можно решённую или отклонённую заявку"),
    RequestAction.REOPEN: (
        "возобновить заявку",
        "возобновить можно решённую или закрытую заявку",
    ),
    RequestAction.CANCEL: ("отменить заявку", "отменить можно только незавершённую заявку"),
    RequestAction.REROUTE: (
        "передать заявку другому ведомству",
        "передать можно незавершённую или отклонённую заявку",
    ),
    RequestAction.FEEDBACK: (
        "оставить отзыв",
        "отзыв принимается по решённой или закрытой заявке",
    ),
}


def action_refusal(action: RequestAction, status: RequestStatus) -> str | None:
    """Why ``action`` is not allowed in ``status`` (None if it is), for people."""
    if status in ALLOWED_FROM[action]:
        return None
    doing, rule = _ACTION_RU[action]
    return f"Нельзя {doing}: заявка в статусе «{REQUEST_STATUS_RU[status]}»; {rule}."


LOW_RATING = 2
"""A rating at or below this asks for the curator's attention."""


def needs_curator_attention(rating: int) -> bool:
    """Whether the family's rating calls for the curator to look into the request."""
    return rating <= LOW_RATING


def attention_reason(rating: int, comment: str | None) -> str:
    """Why the curator is asked to look at the request, for the curator."""
    reason = f"Семья оценила работу по заявке на {rating} из 5"
    return f"{reason}: «{comment}»" if comment else reason
