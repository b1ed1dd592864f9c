"""Span names by route pattern: the same as OpenTelemetry's FastAPI instrumentation gives."""

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from patronage_common.span_names import INSTRUMENTATIONS_SPAN_DETAILS, span_details
from starlette.staticfiles import StaticFiles

pytestmark = pytest.mark.unit


def app_with_routes(tmp_path: Any) -> FastAPI:
    """Included routers with path parameters and methods, a plain route and a mount."""
    app = FastAPI()
    families = APIRouter(prefix="/families")

    @families.get("/{family_id}")
    async def read(family_id: str) -> None: ...

    @families.post("/{family_id}/requests")
    async def create(family_id: str) -> None: ...

    @families.get("/{family_id}/requests")
    async def lines(family_id: str) -> None: ...

    @app.get("/health")
    async def health() -> None: ...

    app.include_router(families)
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")
    return app


def scope(app: FastAPI, method: str, path: str, kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "method": method, "path": path, "root_path": "", "app": app}


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/families/f-1", "GET /families/{family_id}"),
        ("GET", "/families/f-1/requests", "GET /families/{family_id}/requests"),
        ("POST", "/families/f-1/requests", "POST /families/{family_id}/requests"),
        ("DELETE", "/families/f-1", "DELETE /families/{family_id}"),  # the path, not the method
        ("GET", "/static/app.css", "GET /static"),
        ("GET", "/health", "GET /health"),
        ("GET", "/nowhere", "GET"),
        ("BREW", "/health", "HTTP /health"),
    ],
)
def test_span_names_are_the_instrumentations(
    tmp_path: Any, method: str, path: str, name: str
) -> None:
    app = app_with_routes(tmp_path)
    request = scope(app, method, path)
    assert span_details(request) == INSTRUMENTATIONS_SPAN_DETAILS(request)
    assert span_details(request)[0] == name


def test_the_instrumentation_names_spans_so(tmp_path: Any) -> None:
    from opentelemetry.instrumentation import fastapi as otel_fastapi
    from patronage_common.span_names import name_spans_by_pattern

    name_spans_by_pattern()
    assert otel_fastapi._get_default_span_details is span_details
    assert INSTRUMENTATIONS_SPAN_DETAILS is not span_details


def test_routes_added_later_are_named(tmp_path: Any) -> None:
    app = app_with_routes(tmp_path)
    assert span_details(scope(app, "GET", "/later"))[0] == "GET"

    @app.get("/later")
    async def later() -> None: ...

    assert span_details(scope(app, "GET", "/later")) == ("GET /later", {"http.route": "/later"})
