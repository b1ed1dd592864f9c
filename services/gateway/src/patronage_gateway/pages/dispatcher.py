"""The dispatcher's desk (line 129): find a family by phone or name, create a request."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from patronage_common.identity import Role
from patronage_contracts import NeedCategory

from ..clients import ServiceError
from ..web.deps import ServicesDep, User, require
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Dispatcher = Annotated[User, require(Role.DISPATCHER)]


async def desk_page(
    request: Request,
    user: User,
    services: ServicesDep,
    *,
    phone: str = "",
    name: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    family_id: str = "",
    status_code: int = 200,
) -> Response:
    """The desk with the search results and the request form."""
    found: list[dict[str, Any]] = []
    search_errors: dict[str, str] = {}
    if phone or name:
        try:
            page = await services.search_passports(user.identity, phone=phone, name=name, limit=20)
            found = page["items"]
        except ServiceError as exc:
            if exc.status_code != 422:
                raise
            search_errors["phone"] = "Неверный номер телефона"
    return render(
        request,
        "dispatcher.html",
        user,
        status_code=status_code,
        phone=phone,
        name=name,
        found=found,
        search_errors=search_errors,
        values=values or {"urgency": "normal"},
        errors=errors or {},
        family_id=family_id,
        need_categories=[c.value for c in NeedCategory],
    )


@router.get("/dispatcher", response_class=HTMLResponse)
async def desk(
    request: Request, user: Dispatcher, services: ServicesDep, phone: str = "", name: str = ""
) -> Response:
    """Search while on the call."""
    return await desk_page(request, user, services, phone=phone.strip(), name=name.strip())
