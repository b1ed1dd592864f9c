import pytest
from patronage_common.consumers import subscription
from patronage_common.messaging import CONSUMER_ACK_POLICY
from patronage_common.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_one_group_per_consumer_and_topic_under_the_prefix() -> None:
    settings = ServiceSettings(service_name="test", topic_prefix="t1.")
    options = subscription(settings, "passport.events", consumer="requests.families")
    assert options == {
        "group_id": "t1.requests.families@passport.events",
        "auto_offset_reset": "earliest",
        "ack_policy": CONSUMER_ACK_POLICY,
        "title": "requests.families:passport.events",
        "description": None,
    }
    described = subscription(settings, "x", consumer="c", description="Что делает")
    assert described["description"] == "Что делает"
    assert described["group_id"] == "t1.c@x"
