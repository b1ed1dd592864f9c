"""GC_YOUNG_THRESHOLD sets how often the youngest generation is collected."""

import gc
from collections.abc import Iterator

import pytest
from patronage_common.app import apply_gc_threshold
from patronage_common.settings import ServiceSettings


@pytest.fixture
def python_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_a_threshold_replaces_only_the_young_generations(
    python_thresholds: tuple[int, int, int],
) -> None:
    apply_gc_threshold(20_000)
    assert gc.get_threshold() == (20_000, *python_thresholds[1:])


def test_zero_leaves_the_thresholds_alone(python_thresholds: tuple[int, int, int]) -> None:
    apply_gc_threshold(0)
    assert gc.get_threshold() == python_thresholds


def test_the_setting_keeps_python_s_unless_a_service_says_otherwise() -> None:
    assert ServiceSettings(service_name="x").gc_young_threshold == 0
    assert ServiceSettings(service_name="x", gc_young_threshold=5000).gc_young_threshold == 5000
