from typing import Any

import pytest
from patronage_contracts import CallOutcome
from patronage_requests.calls.domain import needs_family, outcome_problem
from patronage_requests.calls.models import CallCreate

pytestmark = pytest.mark.unit

REQUEST = {"category": "housing", "description": "Течёт крыша"}
APPOINTMENT = {"specialist_id": "lawyer-belov", "starts_at": "2026-11-24T10:00:00+03:00"}


def call(outcome: str, **extra: Any) -> CallCreate:
    return CallCreate.model_validate({"subject": "Вопрос о выплатах", "outcome": outcome, **extra})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (call("request_created"), "request"),
        (call("appointment_booked"), "appointment"),
        (call("consultation", request=REQUEST), "request"),
        (call("request_created", request=REQUEST, appointment=APPOINTMENT), "appointment"),
    ],
)
def test_the_outcome_must_match_what_the_call_carries(data: CallCreate, field: str) -> None:
    problem = outcome_problem(data)
    assert problem is not None
    assert problem[0] == ("body", field)


@pytest.mark.parametrize(
    "data",
    [
        call("consultation"),
        call("request_created", request=REQUEST),
        call("appointment_booked", appointment=APPOINTMENT),
    ],
)
def test_a_consistent_call_has_no_problem(data: CallCreate) -> None:
    assert outcome_problem(data) is None


def test_only_a_consultation_may_stay_anonymous() -> None:
    assert not needs_family(CallOutcome.CONSULTATION)
    assert needs_family(CallOutcome.REQUEST_CREATED)
    assert needs_family(CallOutcome.APPOINTMENT_BOOKED)
