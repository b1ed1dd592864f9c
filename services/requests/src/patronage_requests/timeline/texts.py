"""Russian text of a timeline entry for each request event (pure)."""

from patronage_contracts import (
    AgencyTaskReassigned,
    AgencyTaskStatus,
    AgencyTaskStatusChanged,
    CuratorAttentionRequested,
    FeedbackReceived,
    Message,
    RequestCreated,
    RequestInfoProvided,
    RequestRouted,
    RequestStatus,
    RequestStatusChanged,
)
from patronage_contracts.labels import AGENCY_RU, CHANNEL_RU, NEED_CATEGORY_RU, REQUEST_STATUS_RU

_TASK_TEXT = {
    AgencyTaskStatus.ACCEPTED: "приняло заявку",
    AgencyTaskStatus.IN_PROGRESS: "взяло заявку в работу",
    AgencyTaskStatus.NEEDS_INFO: "запросило сведения",
    AgencyTaskStatus.RESOLVED: "выполнило свою часть",
    AgencyTaskStatus.REJECTED: "отклонило заявку",
}

_STATUS_TEXT = {
    RequestStatus.CLOSED: "Заявка «{category}» закрыта",
    RequestStatus.CANCELLED: "Заявка «{category}» отменена",
    RequestStatus.RESOLVED: "Заявка «{category}» решена",
    RequestStatus.REJECTED: "Заявка «{category}» отклонена",
}


def _with(text: str, detail: str | None) -> str:
    return f"{text}: {detail}" if detail else text


def describe(event: Message) -> str | None:
    """What the family's timeline says about ``event`` (None: not shown on the timeline)."""
    match event:
        case RequestCreated():
            urgent = " (срочная)" if event.urgency.value == "urgent" else ""
            return (
                f"Зарегистрирована заявка «{NEED_CATEGORY_RU[event.category]}»{urgent}, "
                f"источник: {CHANNEL_RU[event.channel]}"
            )
        case RequestRouted():
            agencies = ", ".join(f"«{AGENCY_RU[t.agency]}»" for t in event.tasks)
            return f"Заявка направлена в ведомства: {agencies}"
        case RequestStatusChanged():
            category = NEED_CATEGORY_RU[event.category]
            if event.status == RequestStatus.ROUTED and event.previous_status in (
                RequestStatus.RESOLVED,
                RequestStatus.CLOSED,
            ):
                return _with(f"Заявка «{category}» возобновлена", event.reason)
            template = _STATUS_TEXT.get(event.status)
            if template is not None:
                return _with(template.format(category=category), event.reason)
            return f"Заявка «{category}»: {REQUEST_STATUS_RU[event.status]}"
        case AgencyTaskStatusChanged():
            text = f"Ведомство «{AGENCY_RU[event.agency]}» {_TASK_TEXT[event.status]}"
            return _with(text, event.note)
        case AgencyTaskReassigned():
            return _with(
                f"Заявка передана из ведомства «{AGENCY_RU[event.agency]}» "
                f"в ведомство «{AGENCY_RU[event.new_agency]}»",
                event.reason,
            )
        case RequestInfoProvided():
            return f"Ведомству «{AGENCY_RU[event.agency]}» переданы сведения: {event.answer}"
        case FeedbackReceived():
            return _with(f"Семья оценила работу по заявке на {event.rating} из 5", event.comment)
        case CuratorAttentionRequested():
            return f"Куратору нужно разобраться с заявкой: {event.reason}"
    return None
