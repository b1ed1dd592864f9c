"""Public API: the dashboards' figures for authorities' own systems (and the live page).

The reporting service's JSON in the caller's scope: a district head gets their district,
an HQ coordinator their HQ (without a place in the query, theirs applies); a query
naming another place is a 403 from the reporting service, passed on.
"""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from ..access import DASHBOARD_VIEWERS
from ..clients import ServiceError
from ..dashboards.filters import read_query
from ..web.deps import ServicesDep, User, require

router = APIRouter(prefix="/api/reports", tags=["public API"])

Viewer = Annotated[User, require(*DASHBOARD_VIEWERS)]


class Dashboard(StrEnum):
    """The dashboards of the reporting service."""

    REQUESTS = "requests"
    DAILY = "requests/daily"
    OVERDUE = "overdue"
    FAMILIES = "families"
    WORKLOAD = "workload"
    APPOINTMENTS = "appointments"


@router.get("/{dashboard:path}")
async def read_report(
    dashboard: Dashboard, request: Request, user: Viewer, services: ServicesDep
) -> Any:
    """One dashboard's figures; filters ``from``, ``to``, ``district``, ``hq``, ``agency``,
    ``category`` (a district head's and an HQ coordinator's own scope always applies)."""
    query = read_query(request.query_params, user.identity)
    if query.errors:
        raise HTTPException(
            422,
            [
                {"loc": ["query", name], "msg": message, "type": "value_error"}
                for name, message in query.errors.items()
            ],
        )
    try:
        return await services.report(user.identity, dashboard.value, query.params)
    except ServiceError as error:
        raise HTTPException(error.status_code, error.detail) from error
