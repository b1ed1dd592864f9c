"""No route of the gateway hands work to a worker thread on its way to the endpoint."""

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from patronage_gateway.main import create_app


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every API route, also those of included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def threaded_calls(dependant: Dependant) -> Iterator[str]:
    """The dependencies FastAPI would run in its thread pool (plain ``def`` functions)."""
    for dependency in dependant.dependencies:
        call = dependency.call
        if call is not None and not (
            inspect.iscoroutinefunction(call)
            or inspect.isasyncgenfunction(call)
            or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004
        ):
            yield getattr(call, "__qualname__", repr(call))
        yield from threaded_calls(dependency)


def test_every_route_and_its_dependencies_run_on_the_event_loop() -> None:
    routes = list(api_routes(create_app().routes))
    assert any(route.path == "/families/{family_id}" for route in routes)
    threaded = {
        route.path: [*threaded_calls(route.dependant)]
        + ([] if inspect.iscoroutinefunction(route.endpoint) else [route.endpoint.__qualname__])
        for route in routes
    }
    assert {path: calls for path, calls in threaded.items() if calls} == {}
