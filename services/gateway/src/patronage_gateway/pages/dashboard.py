"""Heads' and authorities' dashboard: requests by status, live, with a CSV export."""

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from patronage_contracts import RequestStatus

from ..access import DASHBOARD_VIEWERS
from ..web.deps import ServicesDep, User, require
from ..web.render import label, render

router = APIRouter(tags=["pages"], include_in_schema=False)

Viewer = Annotated[User, require(*DASHBOARD_VIEWERS)]


def status_rows(counts: dict[str, int]) -> list[dict[str, object]]:
    """One row per status in life-cycle order, with its share of the largest for the bars."""
    top = max(counts.values(), default=0) or 1
    return [
        {
            "status": s.value,
            "count": counts.get(s.value, 0),
            "percent": round(100 * counts.get(s.value, 0) / top),
        }
        for s in RequestStatus
    ]


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, user: Viewer, services: ServicesDep) -> Response:
    """Requests by status (the reporting service's live counts)."""
    counts = await services.requests_by_status(user.identity)
    return render(
        request,
        "dashboard.html",
        user,
        rows=status_rows(counts),
        total=sum(counts.values()),
        scope=user.identity.district or user.identity.hq,
    )


@router.get("/dashboard.csv")
async def dashboard_csv(user: Viewer, services: ServicesDep) -> Response:
    """The same figures as CSV (opens in a spreadsheet)."""
    counts = await services.requests_by_status(user.identity)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["статус", "код", "заявок"])
    for row in status_rows(counts):
        writer.writerow([label("status", row["status"]), row["status"], row["count"]])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="requests-by-status.csv"'},
    )
