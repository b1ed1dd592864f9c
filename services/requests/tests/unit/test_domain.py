import pytest
from patronage_contracts import AgencyTaskStatus as T
from patronage_contracts import RequestStatus as R
from patronage_requests.help_requests import domain

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "reported", "allowed"),
    [
        (domain.TASK_SENT, T.ACCEPTED, True),
        ("accepted", T.IN_PROGRESS, True),
        ("in_progress", T.RESOLVED, True),
        ("needs_info", T.IN_PROGRESS, True),
        ("accepted", T.ACCEPTED, False),
        ("in_progress", T.ACCEPTED, False),
        ("resolved", T.IN_PROGRESS, False),
        ("rejected", T.RESOLVED, False),
    ],
)
def test_task_transitions(current: str, reported: T, allowed: bool) -> None:
    assert domain.can_move_task(current, reported) is allowed


def test_refusal_reason_names_both_states_in_russian() -> None:
    assert "завершена" in domain.refusal_reason("resolved", T.IN_PROGRESS)
    assert "нельзя" in domain.refusal_reason("in_progress", T.ACCEPTED)


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        ([domain.TASK_SENT], R.ROUTED),
        (["accepted", domain.TASK_SENT], R.ACCEPTED),
        (["accepted", "in_progress"], R.IN_PROGRESS),
        (["resolved", "accepted"], R.IN_PROGRESS),
        (["needs_info", "in_progress"], R.NEEDS_INFO),
        (["resolved", "resolved"], R.RESOLVED),
        (["resolved", "rejected"], R.RESOLVED),
        (["rejected"], R.REJECTED),
    ],
)
def test_request_status_follows_its_tasks(tasks: list[str], expected: R) -> None:
    assert domain.request_status_of(tasks) is expected
