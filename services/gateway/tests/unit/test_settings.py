"""The gateway's own defaults."""

from patronage_common.settings import READ_PATH_GC_YOUNG_THRESHOLD
from patronage_gateway.settings import GatewaySettings

PYTHON_YOUNG_THRESHOLD = 700


def test_the_gateway_collects_its_young_objects_less_often_than_python_by_default() -> None:
    settings = GatewaySettings()
    assert settings.gc_young_threshold == READ_PATH_GC_YOUNG_THRESHOLD
    # Python's own is 700 (the test process may already run an app that raised it).
    assert settings.gc_young_threshold > PYTHON_YOUNG_THRESHOLD
    assert GatewaySettings(gc_young_threshold=0).gc_young_threshold == 0
