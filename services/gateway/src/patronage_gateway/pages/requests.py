"""A help request with its agency tasks; its status refreshes itself while the page is open."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from patronage_common.runtime import RuntimeDep

from .. import guarded
from ..web.deps import ServicesDep, UserDep
from ..web.render import render
from .families import session_key

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
async def request_page(
    request: Request, request_id: UUID, user: UserDep, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """A help request with its current status and agency tasks (scoped, audited)."""
    help_request, flagged = await guarded.read_request(
        db=runtime.db,
        services=services,
        identity=user.identity,
        session_key=session_key(request),
        request_id=request_id,
    )
    return render(request, "request.html", user, request_=help_request, flagged=flagged)
