import uuid

import pytest
from patronage_contracts import (
    AgencyTaskRef,
    AgencyTaskStatusChanged,
    AgencyTransitionRefused,
    FeedbackReceived,
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
)
from patronage_requests.timeline.texts import describe

pytestmark = pytest.mark.unit

ENVELOPE = {"family_id": uuid.uuid4(), "request_id": uuid.uuid4()}


def test_every_shown_event_reads_in_russian() -> None:
    created = RequestCreated(
        **ENVELOPE,
        category="childcare",
        urgency="urgent",
        channel="dispatcher",
        created_by="d-1",
    )
    assert describe(created) == (
        "Зарегистрирована заявка «присмотр за детьми» (срочная), источник: диспетчер (линия 129)"
    )
    routed = RequestRouted(
        **ENVELOPE,
        tasks=(
            AgencyTaskRef(task_id=uuid.uuid4(), agency="social_protection"),
            AgencyTaskRef(task_id=uuid.uuid4(), agency="education"),
        ),
    )
    assert describe(routed) == "Заявка направлена в ведомства: «соцзащита», «образование»"
    asked = AgencyTaskStatusChanged(
        **ENVELOPE, task_id=uuid.uuid4(), agency="education", status="needs_info", note="Справка?"
    )
    assert describe(asked) == "Ведомство «образование» запросило сведения: Справка?"
    rating = FeedbackReceived(**ENVELOPE, rating=4, given_by="family")
    assert describe(rating) == "Семья оценила работу по заявке на 4 из 5"


@pytest.mark.parametrize(
    ("previous", "status", "text"),
    [
        ("routed", "accepted", "Заявка «жильё»: принята ведомством"),
        ("resolved", "closed", "Заявка «жильё» закрыта"),
        ("closed", "routed", "Заявка «жильё» возобновлена: не сделали"),
        ("in_progress", "cancelled", "Заявка «жильё» отменена: не сделали"),
    ],
)
def test_status_changes(previous: str, status: str, text: str) -> None:
    event = RequestStatusChanged(
        **ENVELOPE,
        version=3,
        previous_status=previous,
        status=status,
        category="housing",
        reason="не сделали" if status in ("routed", "cancelled") else None,
        changed_by="c",
    )
    assert describe(event) == text


def test_technical_events_stay_off_the_timeline() -> None:
    refused = AgencyTransitionRefused(
        **ENVELOPE,
        task_id=uuid.uuid4(),
        agency="housing",
        current_status="resolved",
        reported_status="accepted",
        reason="x",
    )
    assert describe(refused) is None
