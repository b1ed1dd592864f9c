"""A medical organization's start page: open a family by its id (health data only)."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from patronage_common.identity import Role

from ..web.deps import User, require
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Medical = Annotated[User, require(Role.MEDICAL_ORGANIZATION)]


@router.get("/medical", response_class=HTMLResponse)
async def medical_home(request: Request, user: Medical, family_id: str = "") -> Response:
    """Open a family's health-related data by the family's id."""
    if family_id.strip():
        return RedirectResponse(f"/families/{family_id.strip()}", status_code=303)
    return render(request, "medical.html", user)
