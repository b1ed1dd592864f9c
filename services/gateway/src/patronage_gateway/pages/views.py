"""Pages: the start page and a help request with its live status."""

from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from patronage_common.runtime import RuntimeDep
from patronage_contracts import Agency, NeedCategory, RequestStatus
from patronage_contracts.labels import AGENCY_RU, NEED_CATEGORY_RU, REQUEST_STATUS_RU

from .. import clients
from ..settings import GatewaySettings

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
router = APIRouter(tags=["pages"], include_in_schema=False)

TASK_STATUS_RU = {"sent": "направлена", **{s.value: REQUEST_STATUS_RU[s] for s in RequestStatus}}


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Start page."""
    return templates.TemplateResponse(request, "index.html")


@router.get("/requests/{request_id}", response_class=HTMLResponse)
async def request_page(request_id: UUID, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """A help request with its current status and agency tasks."""
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    try:
        help_request = await clients.get_request(settings, request_id)
    except clients.ServiceUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    if help_request is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Заявка не найдена")
    tasks = [
        {
            "agency": AGENCY_RU[Agency(t["agency"])],
            "status": TASK_STATUS_RU.get(t["status"], t["status"]),
            "note": t.get("note"),
        }
        for t in help_request["tasks"]
    ]
    return templates.TemplateResponse(
        request,
        "request.html",
        {
            "request": help_request,
            "status": REQUEST_STATUS_RU[RequestStatus(help_request["status"])],
            "category": NEED_CATEGORY_RU[NeedCategory(help_request["category"])],
            "tasks": tasks,
        },
    )
