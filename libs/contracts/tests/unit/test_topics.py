import pytest
from patronage_contracts import CATALOGUE, Agency
from patronage_contracts.registry import ALL_MESSAGES
from patronage_contracts.topics import dead_letter_topics, dlq_topic_name

pytestmark = pytest.mark.unit


def test_each_agency_has_its_own_request_and_status_topic() -> None:
    names = {spec.name for spec in CATALOGUE}
    for agency in Agency:
        assert f"agency.{agency.value}.requests" in names
        assert f"agency.{agency.value}.status" in names


def test_topic_names_are_unique_and_every_message_has_a_topic() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names))
    carried = {m for spec in CATALOGUE for m in spec.messages}
    assert carried == set(ALL_MESSAGES)


def test_event_topics_keep_history_for_replay() -> None:
    for spec in CATALOGUE:
        if spec.name in ("passport.events", "requests.events"):
            assert spec.retention_ms == -1
            assert spec.kafka_config()["retention.ms"] == "-1"
        assert spec.key == "family_id"


def test_every_consumed_topic_has_a_dead_letter_topic() -> None:
    dlqs = {spec.name for spec in dead_letter_topics()}
    assert {dlq_topic_name(spec.name) for spec in CATALOGUE} == dlqs
