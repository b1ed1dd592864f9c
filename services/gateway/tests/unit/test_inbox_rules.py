"""Which decisions the inbox offers, and which need a text."""

import pytest
from patronage_contracts import AgencyTaskStatus as S
from patronage_gateway.inbox.rules import allowed_actions, text_problem

pytestmark = pytest.mark.unit


def test_a_new_task_may_get_any_decision() -> None:
    assert allowed_actions("sent") == [
        S.ACCEPTED,
        S.IN_PROGRESS,
        S.NEEDS_INFO,
        S.RESOLVED,
        S.REJECTED,
    ]


def test_in_progress_cannot_go_back_to_accepted() -> None:
    assert S.ACCEPTED not in allowed_actions("in_progress")
    assert S.IN_PROGRESS not in allowed_actions("in_progress")


@pytest.mark.parametrize("closed", ["resolved", "rejected"])
def test_closed_tasks_take_no_decision(closed: str) -> None:
    assert allowed_actions(closed) == []


@pytest.mark.parametrize(
    ("status", "needs"),
    [(S.RESOLVED, "сделано"), (S.REJECTED, "причину"), (S.NEEDS_INFO, "сведения")],
)
def test_texts_required_in_russian(status: S, needs: str) -> None:
    problem = text_problem(status, "  ")
    assert problem is not None
    assert needs in problem
    assert text_problem(status, "готово") is None


def test_accepting_needs_no_text() -> None:
    assert text_problem(S.ACCEPTED, None) is None
