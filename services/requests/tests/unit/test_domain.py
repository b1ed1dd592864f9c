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


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        ([domain.TASK_HANDED_OFF, domain.TASK_SENT], R.ROUTED),
        ([domain.TASK_HANDED_OFF, "resolved"], R.RESOLVED),
        ([domain.TASK_CANCELLED, domain.TASK_CANCELLED], R.CANCELLED),
    ],
)
def test_retired_tasks_do_not_count(tasks: list[str], expected: R) -> None:
    assert domain.request_status_of(tasks) is expected


@pytest.mark.parametrize("retired", [domain.TASK_CANCELLED, domain.TASK_HANDED_OFF])
def test_a_retired_task_takes_no_reports(retired: str) -> None:
    assert not domain.can_move_task(retired, T.ACCEPTED)
    assert "не применён" in domain.refusal_reason(retired, T.ACCEPTED)


def test_an_answered_task_resumes_where_it_was_asked() -> None:
    assert domain.resume_state("needs_info", "in_progress") == "in_progress"
    assert domain.resume_state("needs_info", None) == domain.TASK_SENT
    assert domain.resume_state("accepted", "in_progress") == "accepted"


A = domain.RequestAction


@pytest.mark.parametrize(
    ("action", "status", "allowed"),
    [
        (A.ANSWER, R.NEEDS_INFO, True),
        (A.ANSWER, R.IN_PROGRESS, False),
        (A.CLOSE, R.RESOLVED, True),
        (A.CLOSE, R.REJECTED, True),
        (A.CLOSE, R.IN_PROGRESS, False),
        (A.CLOSE, R.CLOSED, False),
        (A.REOPEN, R.RESOLVED, True),
        (A.REOPEN, R.CLOSED, True),
        (A.REOPEN, R.ROUTED, False),
        (A.REOPEN, R.CANCELLED, False),
        (A.CANCEL, R.ROUTED, True),
        (A.CANCEL, R.NEEDS_INFO, True),
        (A.CANCEL, R.RESOLVED, False),
        (A.CANCEL, R.CANCELLED, False),
        (A.REROUTE, R.IN_PROGRESS, True),
        (A.REROUTE, R.REJECTED, True),
        (A.REROUTE, R.CLOSED, False),
        (A.FEEDBACK, R.RESOLVED, True),
        (A.FEEDBACK, R.CLOSED, True),
        (A.FEEDBACK, R.IN_PROGRESS, False),
    ],
)
def test_actions_are_allowed_only_from_their_statuses(
    action: domain.RequestAction, status: R, allowed: bool
) -> None:
    assert (domain.action_refusal(action, status) is None) is allowed


def test_a_refusal_says_in_russian_what_and_why() -> None:
    reason = domain.action_refusal(A.CLOSE, R.IN_PROGRESS)
    assert reason == (
        "Нельзя закрыть заявку: заявка в статусе «в работе»; "
        "закрыть можно решённую или отклонённую заявку."
    )


def test_a_low_rating_needs_the_curator() -> None:
    assert [r for r in range(1, 6) if domain.needs_curator_attention(r)] == [1, 2]
    assert (
        domain.attention_reason(2, "долго") == "Семья оценила работу по заявке на 2 из 5: «долго»"
    )
