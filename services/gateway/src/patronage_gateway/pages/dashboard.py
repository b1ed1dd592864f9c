"""Heads' and authorities' dashboard: live request tracking, late requests, SLA compliance,
coverage and curator load, with filters and exports, in the viewer's scope."""

import csv
import io
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from patronage_contracts import Agency, NeedCategory

from ..access import DASHBOARD_VIEWERS
from ..clients import ServiceError
from ..dashboards import flows, views
from ..dashboards.filters import chooses_place, read_query
from ..web.deps import ServicesDep, User, require
from ..web.render import label, language_of, render

router = APIRouter(tags=["pages"], include_in_schema=False)

Viewer = Annotated[User, require(*DASHBOARD_VIEWERS)]


class Report(StrEnum):
    """Reports the dashboard exports (the reporting service's exports)."""

    REQUESTS = "requests"
    OVERDUE = "overdue"
    FAMILIES = "families"
    WORKLOAD = "workload"
    APPOINTMENTS = "appointments"


class FileFormat(StrEnum):
    """Export formats."""

    XLSX = "xlsx"
    CSV = "csv"


REPORT_TITLES = {
    Report.REQUESTS: "Заявки: статусы, сроки, SLA",
    Report.OVERDUE: "Просроченные заявки",
    Report.FAMILIES: "Охват семей и меры поддержки",
    Report.WORKLOAD: "Нагрузка кураторов",
    Report.APPOINTMENTS: "Записи к специалистам",
}


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, user: Viewer, services: ServicesDep) -> Response:
    """Every figure of the viewer's scope for the chosen period and filters."""
    query = read_query(request.query_params, user.identity)
    figures = await flows.load(services, user.identity, query)
    sections = figures.sections
    lang = language_of(request)
    requests = sections.get("requests") or {}
    live = (requests.get("live") or {}).get("by_status", {})
    families = sections.get("families") or {}
    period = requests.get("period") or {}
    values = dict(query.values)
    for name, key in (("from", "first"), ("to", "last")):
        if not values[name] and not figures.errors:
            values[name] = period.get(key, "")  # the period shown (this month by default)
    return render(
        request,
        "dashboard.html",
        user,
        status_code=figures.status_code,
        values=values,
        errors=figures.errors,
        query_string=query.query_string,
        chooses_place=chooses_place(user.identity),
        agencies=[a.value for a in Agency],
        categories=[c.value for c in NeedCategory],
        reports=[(r.value, REPORT_TITLES[r]) for r in Report],
        formats=[f.value for f in FileFormat],
        shown=bool(sections),
        rows=views.status_rows(live),
        total=sum(live.values()),
        period=period,
        daily=views.daily_rows(sections.get("daily") or []),
        overdue=sections.get("overdue") or [],
        coverage=families.get("coverage") or {},
        coverage_rows=views.coverage_rows((families.get("coverage") or {}).get("by_district", {})),
        needs_open=families.get("needs_open") or {},
        workload=views.workload_rows(sections.get("workload") or []),
        appointments=views.appointment_rows(sections.get("appointments") or {}),
        duration=lambda s: views.duration(s, lang),
        percent=views.percent,
        scope=user.identity.district or user.identity.hq,
    )


@router.get("/dashboard/export/{report}")
async def dashboard_export(
    request: Request,
    report: Report,
    user: Viewer,
    services: ServicesDep,
    format: Annotated[FileFormat, Query()] = FileFormat.XLSX,
) -> Response:
    """One report of the dashboard as a file, with the dashboard's filters."""
    query = read_query(request.query_params, user.identity)
    if query.errors:
        return await dashboard(request, user, services)
    try:
        exported = await services.report_file(
            user.identity, report.value, {**query.params, "format": format.value}
        )
    except ServiceError as error:
        return render(
            request,
            "error.html",
            None,
            status_code=error.status_code,
            message="; ".join(flows.errors_of(error).values()),
            code=error.status_code,
        )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": exported.disposition},
    )


@router.get("/dashboard.csv")
async def dashboard_csv(user: Viewer, services: ServicesDep) -> Response:
    """Requests by status now, as CSV (opens in a spreadsheet)."""
    counts = await services.requests_by_status(user.identity)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["статус", "код", "заявок"])
    for row in views.status_rows(counts):
        writer.writerow([label("status", row["status"]), row["status"], row["count"]])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="requests-by-status.csv"'},
    )
