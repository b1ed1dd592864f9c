"""The search indexer gives way to the service's HTTP requests as its settings say."""

from types import SimpleNamespace
from typing import cast

from patronage_common.foreground import Foreground
from patronage_common.runtime import ServiceRuntime
from patronage_passport.search.handlers import pace_of
from patronage_passport.settings import PassportSettings


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def runtime_with(ratio: float, foreground: Foreground) -> ServiceRuntime:
    settings = PassportSettings(search_index_busy_pause_ratio=ratio)
    return cast(ServiceRuntime, SimpleNamespace(settings=settings, foreground=foreground))


async def test_the_indexer_pauses_by_the_ratio_only_while_requests_are_served() -> None:
    clock = Clock()
    foreground = Foreground(clock=clock)
    pace = pace_of(runtime_with(2.0, foreground))
    assert pace is not None
    assert pace.keywords == {"ratio": 2.0}
    assert foreground.pause_for(0.01, ratio=2.0) == 0  # nothing served: full speed
    foreground.started()
    assert foreground.pause_for(0.01, ratio=2.0) > 0
    await pace(0.001)  # busy: sleeps 2 ms


def test_a_ratio_of_zero_turns_pacing_off() -> None:
    assert pace_of(runtime_with(0.0, Foreground())) is None
