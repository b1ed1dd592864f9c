from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from patronage_contracts import (
    ALL_MESSAGES,
    Agency,
    AgencyTaskStatus,
    AgencyTaskStatusReported,
    PassportRegistered,
    parse_message,
    topic_of,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def registered(**overrides: object) -> PassportRegistered:
    fields: dict[str, object] = {
        "family_id": uuid4(),
        "district": "lipetsk-city",
        "hq": "hq-1",
        "categories": ("svo_family",),
        "registered_by": "curator-1",
    }
    fields.update(overrides)
    return PassportRegistered.model_validate(fields)


def test_round_trip_through_json_keeps_every_envelope_field() -> None:
    event = registered(trace_context={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
    parsed = parse_message(event.model_dump_json())
    assert parsed == event
    assert parsed.type == "PassportRegistered"
    assert parsed.schema_version == 1
    assert parsed.producer == "passport"
    assert parsed.key == str(event.family_id).encode()


def test_messages_are_frozen() -> None:
    event = registered()
    with pytest.raises(ValidationError):
        event.district = "other"  # type: ignore[misc]


def test_occurred_at_is_normalized_to_utc_and_naive_times_are_refused() -> None:
    moscow = timezone(timedelta(hours=3))
    event = registered(occurred_at=datetime(2026, 1, 1, 12, 0, tzinfo=moscow))
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.occurred_at.hour == 9
    with pytest.raises(ValidationError, match="time zone"):
        registered(occurred_at=datetime(2026, 1, 1, 12, 0))


def test_unknown_fields_from_newer_producers_are_ignored() -> None:
    data = registered().model_dump(mode="json") | {"added_in_a_later_release": 1}
    assert parse_message(data).type == "PassportRegistered"


def test_unknown_type_and_missing_type_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown message type"):
        parse_message({"type": "NoSuchEvent"})
    with pytest.raises(ValueError, match="'type'"):
        parse_message(b"[1, 2]")


def test_caused_message_continues_the_flow() -> None:
    first = registered(trace_context={"traceparent": "x"})
    flow = first.caused()
    assert flow["causation_id"] == first.event_id
    assert flow["correlation_id"] == first.correlation_id
    assert flow["family_id"] == first.family_id
    assert flow["trace_context"] == {"traceparent": "x"}


@pytest.mark.parametrize(
    ("status", "field"),
    [
        (AgencyTaskStatus.NEEDS_INFO, "question"),
        (AgencyTaskStatus.RESOLVED, "result"),
        (AgencyTaskStatus.REJECTED, "reason"),
    ],
)
def test_agency_status_requires_its_explanation(status: AgencyTaskStatus, field: str) -> None:
    base = {
        "family_id": uuid4(),
        "request_id": uuid4(),
        "task_id": uuid4(),
        "agency": Agency.HEALTH,
        "status": status,
        "producer": "agency:health",
    }
    with pytest.raises(ValidationError, match=field):
        AgencyTaskStatusReported.model_validate(base)
    ok = AgencyTaskStatusReported.model_validate(base | {field: "текст"})
    assert topic_of(ok) == "agency.health.status"


def test_every_message_has_a_unique_type_and_a_topic_or_agency_route() -> None:
    names = [m.model_fields["type"].default for m in ALL_MESSAGES]
    assert len(names) == len(set(names))
    for model in ALL_MESSAGES:
        assert model.__name__ == model.model_fields["type"].default
