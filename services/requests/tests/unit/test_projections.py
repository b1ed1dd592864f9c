"""The projections consumer: each read model gets the batch's events of its own types, in
order, a batch fails only once every model is done with it, and the read models give way
to the routing."""

import asyncio
import functools
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import pytest
from patronage_common.foreground import Foreground, Pace
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import (
    FeedbackReceived,
    Message,
    RequestCreated,
    RequestStatusChanged,
    utc_now,
)
from patronage_requests.projections import handlers
from patronage_requests.projections.handlers import (
    READ_MODELS,
    ReadModel,
    apply_to_all,
    pace_of,
    router,
)
from patronage_requests.request_lists import handlers as lists
from patronage_requests.settings import RequestsSettings
from patronage_requests.sla import handlers as sla
from patronage_requests.timeline import handlers as timeline

RUNTIME = cast(ServiceRuntime, object())  # the read models below never use it
M = TypeVar("M", bound=Message)


def bare(model: type[M]) -> M:
    """An event of ``model`` with no fields: only its type matters here."""
    return cast(M, cast(Any, model).model_construct())


class Recorder:
    """A read model's apply function that keeps what it was given."""

    def __init__(self, *, delay_s: float = 0.0, fails: bool = False) -> None:
        self.batches: list[list[Any]] = []
        self.finished = False
        self._delay_s = delay_s
        self._fails = fails

    async def __call__(self, events: list[Any], runtime: ServiceRuntime) -> None:
        self.batches.append(events)
        await asyncio.sleep(self._delay_s)
        if self._fails:
            raise RuntimeError("the store went away")
        self.finished = True


async def test_each_read_model_gets_the_events_of_its_types_in_topic_order() -> None:
    created_1, changed, created_2 = (
        bare(RequestCreated),
        bare(RequestStatusChanged),
        bare(RequestCreated),
    )
    creations, clocks, feedback = Recorder(), Recorder(), Recorder()
    models = [
        ReadModel("creations", (RequestCreated,), creations),
        ReadModel("clocks", (RequestCreated, RequestStatusChanged), clocks),
        ReadModel("feedback", (FeedbackReceived,), feedback),
    ]

    await apply_to_all(models, [created_1, changed, created_2], RUNTIME)

    assert creations.batches == [[created_1, created_2]]
    assert clocks.batches == [[created_1, changed, created_2]]
    assert feedback.batches == []  # none of its events: not called at all


async def test_a_failing_read_model_fails_the_batch_only_after_the_others_finished() -> None:
    failing, slow = Recorder(fails=True), Recorder(delay_s=0.05)
    models = [
        ReadModel("failing", (RequestCreated,), failing),
        ReadModel("slow", (RequestCreated,), slow),
    ]

    with pytest.raises(RuntimeError, match="the store went away"):
        await apply_to_all(models, [bare(RequestCreated)], RUNTIME)

    assert slow.finished  # not cut off half-way: the redelivered batch starts from a whole state


def test_the_consumer_takes_every_type_its_read_models_follow() -> None:
    followed: set[type[Message]] = {*timeline.TYPES, *lists.TYPES, *sla.TYPES}
    assert {t for model in READ_MODELS for t in model.types} == followed
    assert set(router._types.values()) == followed
    assert router.consumer == "requests.projections"


async def test_the_read_models_apply_a_batch_one_after_another() -> None:
    order: list[str] = []
    running: list[str] = []

    def model(name: str) -> ReadModel:
        async def apply(events: list[Any], runtime: ServiceRuntime) -> None:
            assert running == [], f"{name} started while {running} applied the batch"
            running.append(name)
            await asyncio.sleep(0.01)
            running.remove(name)
            order.append(name)

        return ReadModel(name, (RequestCreated,), apply)

    await apply_to_all([model("a"), model("b"), model("c")], [bare(RequestCreated)], RUNTIME)

    assert order == ["a", "b", "c"]


async def test_each_read_model_is_followed_by_a_pause_for_the_time_it_took() -> None:
    paces: list[float] = []

    async def pace(worked_s: float) -> None:
        paces.append(worked_s)

    slow, quick, idle = Recorder(delay_s=0.05), Recorder(), Recorder()
    models = [
        ReadModel("slow", (RequestCreated,), slow),
        ReadModel("quick", (RequestCreated,), quick),
        ReadModel("idle", (FeedbackReceived,), idle),
    ]

    await apply_to_all(models, [bare(RequestCreated)], RUNTIME, pace)

    assert len(paces) == 3
    assert paces[0] >= 0.05
    assert paces[1] < 0.05
    assert paces[2] < 0.05


def runtime_with(foreground: Foreground, **settings: Any) -> ServiceRuntime:
    return cast(
        ServiceRuntime,
        SimpleNamespace(settings=RequestsSettings(**settings), foreground=foreground),
    )


def created_ago(seconds: float) -> RequestCreated:
    return RequestCreated.model_construct(occurred_at=utc_now() - timedelta(seconds=seconds))


def ratio_of(pace: Pace | None) -> float:
    """The ratio a pacer from ``Foreground.pacer`` pauses at (0: no pacer at all)."""
    if pace is None:
        return 0.0
    assert isinstance(pace, functools.partial)
    return float(pace.keywords["ratio"])


async def test_the_read_models_give_way_while_the_service_routes() -> None:
    foreground = Foreground(quiet_after_s=0)
    runtime = runtime_with(foreground, projections_busy_pause_ratio=3, projections_max_lag_s=30)
    pace = pace_of(runtime, [created_ago(0)])
    assert pace is not None
    loop = asyncio.get_running_loop()
    began = loop.time()
    await pace(10.0)  # nothing routed or answered: no pause, full speed
    assert loop.time() - began < 1
    with foreground.serving():
        began = loop.time()
        await pace(0.01)
        assert loop.time() - began >= 0.025


def test_the_further_behind_the_read_models_are_the_less_they_give_way() -> None:
    runtime = runtime_with(Foreground(), projections_busy_pause_ratio=4, projections_max_lag_s=20)
    assert ratio_of(pace_of(runtime, [created_ago(0)])) == pytest.approx(4, abs=0.01)
    # The batch's oldest event counts: 10 s behind is half-way to the limit.
    assert ratio_of(pace_of(runtime, [created_ago(1), created_ago(10)])) == pytest.approx(
        2, abs=0.01
    )
    assert ratio_of(pace_of(runtime, [created_ago(19)])) == pytest.approx(0.2, abs=0.01)
    assert pace_of(runtime, [created_ago(1), created_ago(25)]) is None  # full speed
    off = runtime_with(Foreground(), projections_busy_pause_ratio=0)
    assert pace_of(off, [created_ago(0)]) is None


async def test_the_consumer_paces_its_read_models_while_the_service_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = Recorder(delay_s=0.1)
    monkeypatch.setattr(handlers, "READ_MODELS", (ReadModel("slow", (RequestCreated,), slow),))
    foreground = Foreground(quiet_after_s=0)
    runtime = runtime_with(foreground, projections_busy_pause_ratio=3, projections_max_lag_s=30)
    loop = asyncio.get_running_loop()

    began = loop.time()
    await handlers.project([created_ago(0)], runtime)
    idle_s = loop.time() - began
    with foreground.serving():
        began = loop.time()
        await handlers.project([created_ago(0)], runtime)
        busy_s = loop.time() - began

    assert len(slow.batches) == 2
    assert idle_s < 0.3  # nothing served: the batch alone (0.1 s)
    assert busy_s >= 0.1 + 0.29  # the batch, then three times as long again
