"""The gateway's own defaults."""

import gc

from patronage_common.settings import READ_PATH_GC_YOUNG_THRESHOLD
from patronage_gateway.settings import GatewaySettings


def test_the_gateway_collects_its_young_objects_less_often_than_python_by_default() -> None:
    settings = GatewaySettings()
    assert settings.gc_young_threshold == READ_PATH_GC_YOUNG_THRESHOLD
    assert settings.gc_young_threshold > gc.get_threshold()[0]
    assert GatewaySettings(gc_young_threshold=0).gc_young_threshold == 0
