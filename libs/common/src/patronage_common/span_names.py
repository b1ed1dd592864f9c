"""The name of a request's span (``GET /families/{family_id}``), found in a fraction of the
time OpenTelemetry's FastAPI instrumentation takes.

The instrumentation names each server span by the route the request will take: it asks
every route of the app in turn to match the request, building a new scope for each
(about 80 µs of CPU per request in the gateway, with some fifty routes). Here each path
route is tried by its path pattern alone, the routes listed once per app (about 6 µs); a
route of another kind (a mount of static files) is still asked itself. The name and
attributes are the instrumentation's.
"""

from dataclasses import dataclass
from re import Match as PathMatch
from typing import Any
from weakref import WeakKeyDictionary

from fastapi.routing import iter_route_contexts
from opentelemetry.instrumentation import fastapi as otel_fastapi
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.util.http import sanitize_method
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.routing import Match, Route
from starlette.types import Scope


@dataclass(frozen=True)
class Candidate:
    """A route as the span name needs it: an API route's path pattern and methods, else
    the route itself (asked to match)."""

    route: Any
    path: str | None
    pattern: Any = None
    methods: frozenset[str] | None = None


INSTRUMENTATIONS_SPAN_DETAILS = otel_fastapi._get_default_span_details
"""The instrumentation's own function (what ``span_details`` stands in for)."""

_routes: "WeakKeyDictionary[Starlette, tuple[int, list[Candidate]]]" = WeakKeyDictionary()


def candidates(app: Starlette) -> list[Candidate]:
    """The app's routes in matching order (listed again when the app's routes change)."""
    known = _routes.get(app)
    if known is not None and known[0] == len(app.routes):
        return known[1]
    listed: list[Candidate] = []
    for context in iter_route_contexts(app.routes):
        path = getattr(context, "path", None)
        if isinstance(context.original_route, Route):
            methods = context.methods
            listed.append(
                Candidate(
                    context,
                    path,
                    context.path_regex,
                    frozenset(methods) if methods else None,
                )
            )
        else:
            listed.append(Candidate(context, path))
    _routes[app] = (len(app.routes), listed)
    return listed


def route_of(scope: Scope) -> str | None:
    """The path template of the route the request takes (or of one that takes its path with
    another method), as OpenTelemetry's instrumentation finds it; None if none."""
    route_path = get_route_path(scope)
    method = scope.get("method")
    http = scope["type"] == "http"
    found: str | None = None
    for candidate in candidates(scope["app"]):
        if candidate.pattern is None:
            match, _ = candidate.route.matches(scope)
            if match is Match.NONE:
                continue
            path = candidate.path if candidate.path is not None else scope.get("path")
            if match is Match.FULL:
                return path
            found = path
            continue
        if not http:
            continue
        matched: PathMatch[str] | None = candidate.pattern.match(route_path)
        if matched is None:
            continue
        if candidate.methods is not None and method not in candidate.methods:
            found = candidate.path
            continue
        return candidate.path
    return found


def span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    """The span's name and attributes, as the instrumentation's own function makes them."""
    route = route_of(scope)
    method = sanitize_method(scope.get("method", "").strip())
    attributes: dict[str, str] = {}
    if method == "_OTHER":
        method = "HTTP"
    if route:
        attributes[HTTP_ROUTE] = route
    if method and route:
        return f"{method} {route}", attributes
    return route or method, attributes


def name_spans_by_pattern() -> None:
    """Make the FastAPI instrumentation name spans with ``span_details`` (it looks its
    function up when an app's middleware is built)."""
    otel_fastapi._get_default_span_details = span_details
