"""Helpers for tests of services: serve an app on a real port, wait for an effect, find
routes that run in worker threads."""

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from .app import KEEP_ALIVE_S
from .ports import free_port

T = TypeVar("T")

__all__ = ["eventually", "free_port", "run_in_threads", "serve"]


@asynccontextmanager
async def serve(app: FastAPI, port: int, *, timeout_s: float = 60.0) -> AsyncIterator[str]:
    """Run ``app`` (its lifespan included) under uvicorn in this event loop."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        # uvicorn ends a server whose lifespan fails to start, or that cannot bind, with
        # ``sys.exit``; raised in a task, a SystemExit would escape the event loop and
        # break every test after this one.
        try:
            await server.serve()
        except SystemExit as exit_:
            raise RuntimeError(
                f"the app could not start on port {port} (uvicorn exit {exit_.code}: its "
                "start-up failed or the port is in use; the log above says which)"
            ) from None

    task = asyncio.create_task(run())
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the app stopped while starting")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not start on port {port} in {timeout_s} s")
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout_s: float = 30.0,
    interval_s: float = 0.1,
    what: str = "the expected effect",
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        await asyncio.sleep(interval_s)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _api_routes(route.original_router.routes)


def _runs_on_the_loop(call: Any) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004
    )


def _threaded(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        if dependency.call is not None and not _runs_on_the_loop(dependency.call):
            yield getattr(dependency.call, "__name__", repr(dependency.call))
        yield from _threaded(dependency)


def run_in_threads(app: FastAPI) -> dict[str, list[str]]:
    """The routes whose endpoint or dependencies FastAPI runs in its thread pool (plain
    ``def`` functions), with their names: each call waits for a worker thread."""
    found: dict[str, list[str]] = {}
    for route in _api_routes(app.routes):
        calls = list(_threaded(route.dependant))
        if not _runs_on_the_loop(route.endpoint):
            calls.append(route.endpoint.__name__)
        if calls:
            found[f"{','.join(sorted(route.methods or ()))} {route.path}"] = calls
    return found
