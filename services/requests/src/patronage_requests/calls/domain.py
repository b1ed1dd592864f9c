"""Rules of a call, without I/O."""

from patronage_contracts import CallOutcome

from .models import CallCreate

Problem = tuple[tuple[str, ...], str]


def outcome_problem(data: CallCreate) -> Problem | None:
    """What is missing or superfluous for the call's outcome, or None."""
    if data.outcome == CallOutcome.REQUEST_CREATED and data.request is None:
        return ("body", "request"), "для исхода «создана заявка» укажите категорию и суть заявки"
    if data.outcome == CallOutcome.APPOINTMENT_BOOKED and data.appointment is None:
        return ("body", "appointment"), "для записи на приём укажите специалиста и время"
    if data.outcome != CallOutcome.REQUEST_CREATED and data.request is not None:
        return ("body", "request"), "заявка указана, но исход звонка — не «создана заявка»"
    if data.outcome != CallOutcome.APPOINTMENT_BOOKED and data.appointment is not None:
        return ("body", "appointment"), "запись указана, но исход звонка — не «запись на приём»"
    return None


def needs_family(outcome: CallOutcome) -> bool:
    """A request or an appointment belongs to a family; a consultation may be anonymous."""
    return outcome != CallOutcome.CONSULTATION
