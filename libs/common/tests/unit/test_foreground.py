"""Background work gives way to the HTTP requests in flight, and only to them."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from patronage_common.app import create_service_app
from patronage_common.foreground import Foreground, ForegroundMiddleware
from patronage_common.settings import ServiceSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_busy_while_requests_are_in_flight_and_shortly_after_the_last() -> None:
    clock = Clock()
    foreground = Foreground(quiet_after_s=0.05, clock=clock)
    assert not foreground.busy()
    foreground.started()
    foreground.started()
    foreground.ended()
    clock.now += 10
    assert foreground.busy()  # one still in flight, however long
    foreground.ended()
    clock.now += 0.04
    assert foreground.busy()
    clock.now += 0.02
    assert not foreground.busy()


def test_the_pause_is_the_ratio_of_the_work_while_busy_and_none_otherwise() -> None:
    clock = Clock()
    foreground = Foreground(clock=clock)
    assert foreground.pause_for(0.03, ratio=2) == 0
    foreground.started()
    assert foreground.pause_for(0.03, ratio=2) == pytest.approx(0.06)
    assert foreground.pause_for(0.03, ratio=0) == 0


def test_work_marked_as_served_counts_until_it_ends_or_fails() -> None:
    clock = Clock()
    foreground = Foreground(quiet_after_s=0.05, clock=clock)
    with foreground.serving():
        assert foreground.in_flight == 1
        clock.now += 5
        assert foreground.busy()
    assert foreground.in_flight == 0
    assert foreground.busy()  # just ended
    with pytest.raises(RuntimeError), foreground.serving():
        raise RuntimeError("the batch failed")
    assert foreground.in_flight == 0
    clock.now += 1
    assert not foreground.busy()


async def test_a_pacer_paces_at_its_ratio_and_a_ratio_of_zero_means_none() -> None:
    clock = Clock()
    foreground = Foreground(quiet_after_s=0.05, clock=clock)
    assert foreground.pacer(0) is None
    assert foreground.pacer(-1) is None
    pace = foreground.pacer(3)
    assert pace is not None
    loop = asyncio.get_running_loop()
    began = loop.time()
    await pace(10.0)  # nothing served: no pause at all
    assert loop.time() - began < 1
    foreground.started()
    began = loop.time()
    await pace(0.01)
    assert loop.time() - began >= 0.03


def app_counted_by(foreground: Foreground) -> tuple[FastAPI, list[bool]]:
    seen: list[bool] = []
    app = FastAPI()

    @app.get("/work")
    async def work() -> str:
        seen.append(foreground.busy())
        return "done"

    @app.get("/fail")
    async def fail() -> str:
        raise RuntimeError("boom")

    app.add_middleware(ForegroundMiddleware, foreground=foreground)
    return app, seen


async def test_the_middleware_counts_each_request_until_it_is_answered_or_fails() -> None:
    clock = Clock()
    foreground = Foreground(quiet_after_s=0.05, clock=clock)
    app, seen = app_counted_by(foreground)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/work")).text == '"done"'
        assert seen == [True]
        clock.now += 1
        assert not foreground.busy()  # answered: nothing in flight any more
        assert (await http.get("/fail")).status_code == 500
        clock.now += 1
        assert not foreground.busy()  # a failed request is not left in flight


async def test_a_paced_worker_pauses_only_while_a_request_is_served() -> None:
    foreground = Foreground(quiet_after_s=0)
    assert foreground.pause_for(0.01, ratio=3) == 0
    foreground.started()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await foreground.pace(0.01, ratio=3)
    assert loop.time() - began >= 0.03
    foreground.ended()
    began = loop.time()
    await foreground.pace(10.0, ratio=3)  # would be 30 s while busy
    assert loop.time() - began < 1


def test_every_service_app_counts_its_requests() -> None:
    app = create_service_app(ServiceSettings(service_name="t"), title="t")
    middleware = [m for m in app.user_middleware if m.cls is ForegroundMiddleware]
    assert len(middleware) == 1
    assert isinstance(middleware[0].kwargs["foreground"], Foreground)
