"""HTTP routes of the dashboards and their exports (thin: scope, read, shape)."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from patronage_common.runtime import RuntimeDep
from patronage_contracts import Agency, NeedCategory, utc_now

from ..deps import Viewer, ViewerDep, ViewerRole
from ..settings import ReportingSettings
from . import exports, service
from .filters import Filters, ScopeError, may_see_families, scoped, validate_period

router = APIRouter(prefix="/reports", tags=["reports"])


def _refuse(error: ScopeError, status: int = 403) -> HTTPException:
    return HTTPException(
        status_code=status, detail=[{"loc": ["query", error.field], "msg": error.message}]
    )


def get_filters(
    viewer: ViewerDep,
    runtime: RuntimeDep,
    first: Annotated[date | None, Query(alias="from", description="Начало периода")] = None,
    last: Annotated[date | None, Query(alias="to", description="Конец периода")] = None,
    district: str | None = None,
    hq: str | None = None,
    agency: Agency | None = None,
    category: NeedCategory | None = None,
) -> Filters:
    """The query's filters, narrowed to the viewer's scope (403 if they ask for more)."""
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    today = service.today_in(settings.zone, utc_now())
    last = last or today
    first = first or last.replace(day=1)
    try:
        validate_period(first, last)
    except ScopeError as error:
        raise _refuse(error, 422) from None
    filters = Filters(first, last, district, hq, agency, category)
    try:
        return scoped(filters, viewer)
    except ScopeError as error:
        raise _refuse(error) from None


FiltersDep = Annotated[Filters, Depends(get_filters)]


def _families_allowed(viewer: Viewer) -> None:
    if not may_see_families(viewer):
        raise HTTPException(
            status_code=403,
            detail=[{"loc": ["header", "X-Actor-Role"], "msg": "Ведомству этот отчёт недоступен"}],
        )


@router.get("/requests", summary="Заявки: по статусам, сроки ответа и решения, SLA, оценки")
async def requests_dashboard(runtime: RuntimeDep, filters: FiltersDep) -> dict[str, Any]:
    """Requests now and in the period."""
    return await service.requests_dashboard(runtime.db, filters)


@router.get("/requests/daily", summary="Заявки по дням периода")
async def requests_daily(runtime: RuntimeDep, filters: FiltersDep) -> list[dict[str, Any]]:
    """Requests created and changing status, day by day."""
    return await service.daily_series(runtime.db, filters)


@router.get("/families", summary="Охват семей, открытые потребности, меры поддержки")
async def families_dashboard(
    runtime: RuntimeDep, filters: FiltersDep, viewer: ViewerDep
) -> dict[str, Any]:
    """Coverage, needs and measures (an agency sees only its measures)."""
    figures = await service.families_dashboard(runtime.db, filters)
    if not may_see_families(viewer):
        return {"scope": figures["scope"], "measures": figures["measures"]}
    return figures


def _no_agencies(viewer: Viewer) -> None:
    if viewer.role is ViewerRole.AGENCY:
        raise HTTPException(
            status_code=403,
            detail=[
                {
                    "loc": ["header", "X-Actor-Role"],
                    "msg": "Записи на приём к специалистам ведомствам не показываются",
                }
            ],
        )


@router.get("/appointments", summary="Записи к специалистам: записи, отмены, переносы")
async def appointments(
    runtime: RuntimeDep, filters: FiltersDep, viewer: ViewerDep
) -> dict[str, Any]:
    """Appointments by kind of specialist and by specialist, in the viewer's scope."""
    _no_agencies(viewer)
    return await service.appointments_dashboard(runtime.db, filters)


@router.get("/workload", summary="Нагрузка кураторов")
async def workload(
    runtime: RuntimeDep, filters: FiltersDep, viewer: ViewerDep
) -> list[dict[str, Any]]:
    """Each curator of the district (or HQ, or region)."""
    _families_allowed(viewer)
    return await service.curator_workload(runtime.db, filters, _today(runtime))


@router.get("/overdue", summary="Заявки с нарушенным сроком, сейчас")
async def overdue(
    runtime: RuntimeDep, filters: FiltersDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """Requests past a deadline, most overdue first."""
    return await service.overdue_requests(runtime.db, filters, utc_now(), limit=limit)


class Report(StrEnum):
    """Reports that can be exported."""

    REQUESTS = "requests"
    FAMILIES = "families"
    WORKLOAD = "workload"
    OVERDUE = "overdue"
    APPOINTMENTS = "appointments"


class ExportFormat(StrEnum):
    """Export file formats."""

    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLES = {
    Report.REQUESTS: "Заявки семей: статусы, сроки, оценки",
    Report.FAMILIES: "Охват семей, потребности и меры поддержки",
    Report.WORKLOAD: "Нагрузка социальных кураторов",
    Report.OVERDUE: "Заявки с нарушенным сроком",
    Report.APPOINTMENTS: "Записи к специалистам",
}


@router.get("/export/{report}", summary="Выгрузка отчёта в CSV или XLSX")
async def export(
    report: Report,
    runtime: RuntimeDep,
    filters: FiltersDep,
    viewer: ViewerDep,
    format: ExportFormat = ExportFormat.XLSX,
) -> Response:
    """One report as a file with a header block: what, when, for whom."""
    columns: tuple[str, ...] = ("Показатель", "Значение")
    if report is Report.REQUESTS:
        rows = exports.requests_rows(await service.requests_dashboard(runtime.db, filters))
    elif report is Report.FAMILIES:
        _families_allowed(viewer)
        rows = exports.families_rows(await service.families_dashboard(runtime.db, filters))
    elif report is Report.WORKLOAD:
        _families_allowed(viewer)
        columns = exports.WORKLOAD_COLUMNS
        rows = exports.workload_rows(
            await service.curator_workload(runtime.db, filters, _today(runtime))
        )
    elif report is Report.APPOINTMENTS:
        _no_agencies(viewer)
        rows = exports.appointments_rows(await service.appointments_dashboard(runtime.db, filters))
    else:
        columns = exports.OVERDUE_COLUMNS
        rows = exports.overdue_rows(await service.overdue_requests(runtime.db, filters, utc_now()))
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    table = exports.Table(
        title=TITLES[report],
        viewer=viewer.describe(),
        filters=filters.describe(),
        generated_at=utc_now().astimezone(settings.zone),
        columns=columns,
        rows=rows,
    )
    body = exports.to_csv(table) if format is ExportFormat.CSV else exports.to_xlsx(table)
    filename = (
        f"{report.value}-{filters.first.isoformat()}-{filters.last.isoformat()}.{format.value}"
    )
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _today(runtime: Any) -> date:
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    return service.today_in(settings.zone, utc_now())
