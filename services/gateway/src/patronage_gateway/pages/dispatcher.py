"""The dispatcher's desk (line 129): find a family by phone or name while on the call, log
the call, and end it with a consultation, a help request or an appointment in a free slot."""

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from patronage_common.identity import Role
from patronage_common.runtime import RuntimeDep
from patronage_contracts import NeedCategory

from .. import guarded
from ..calls import errors_of_refusal, read_call_form, slot_value
from ..clients import ServiceError
from ..web.deps import ServicesDep, User, require, settings_of
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Dispatcher = Annotated[User, require(Role.DISPATCHER)]

SLOT_DAYS = 13  # the requests service lists at most 14 days (today included)
SLOTS_SHOWN = 40


def _slot_options(specialists: list[dict[str, Any]], zone: ZoneInfo) -> list[dict[str, str]]:
    """Free slots, soonest first, as the form's choices (local time, who, where)."""
    options = []
    for s in specialists:
        for slot in s["free"]:
            starts = datetime.fromisoformat(slot["starts_at"]).astimezone(zone)
            options.append(
                {
                    "value": slot_value(s["specialist_id"], slot["starts_at"]),
                    "starts": starts.isoformat(),
                    "label": f"{starts:%d.%m %H:%M} — {s['title']}, {s['office_address']}",
                }
            )
    return sorted(options, key=lambda o: o["starts"])[:SLOTS_SHOWN]


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
    call_values: dict[str, str] | None = None,
    call_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The desk: search results, the call form (with free slots) and today's calls."""
    found: list[dict[str, Any]] = []
    search_errors: dict[str, str] = {}
    chosen = family_id or request.query_params.get("family", "")
    zone = ZoneInfo(settings_of(request.app.state.runtime).timezone)
    today = datetime.now(zone).date()
    search = (
        services.search_passports(user.identity, phone=phone, name=name, limit=20)
        if phone or name
        else asyncio.sleep(0, {"items": []})
    )
    slots = (
        services.free_slots(
            user.identity, today.isoformat(), (today + timedelta(days=SLOT_DAYS)).isoformat()
        )
        if chosen
        else asyncio.sleep(0, [])
    )
    results = await asyncio.gather(
        search, slots, services.call_log(user.identity), return_exceptions=True
    )
    page, specialists, log = results
    if isinstance(page, ServiceError) and page.status_code == 422:
        search_errors["phone"] = "Неверный номер телефона"
    elif isinstance(page, BaseException):
        raise page
    else:
        found = page["items"]
    for result in (specialists, log):
        if isinstance(result, BaseException):
            raise result
    assert isinstance(specialists, list)
    assert isinstance(log, dict)
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
        family_id=chosen,
        call_values=call_values or {"caller_phone": phone, "outcome": "consultation"},
        call_errors=call_errors or {},
        slots=_slot_options(specialists, zone),
        calls=list(reversed(log.get("items", []))),
        need_categories=[c.value for c in NeedCategory],
    )


@router.get("/dispatcher", response_class=HTMLResponse)
async def desk(
    request: Request, user: Dispatcher, services: ServicesDep, phone: str = "", name: str = ""
) -> Response:
    """Search while on the call."""
    return await desk_page(request, user, services, phone=phone.strip(), name=name.strip())


@router.post("/dispatcher/calls", response_class=HTMLResponse)
async def log_call(
    request: Request, user: Dispatcher, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """Log the call and do what it ended with; on an error, the form again as typed."""
    form_data = await request.form()
    values = {k: v.strip() for k, v in form_data.items() if isinstance(v, str)}
    form = read_call_form(values)
    errors = dict(form.errors)
    created: dict[str, Any] = {}
    if not errors:
        try:
            created = await services.register_call(user.identity, form.payload)
        except ServiceError as exc:
            if exc.status_code not in (403, 404, 409, 422):
                raise
            errors = errors_of_refusal(exc.detail)
    if errors:
        return await desk_page(
            request,
            user,
            services,
            phone=values.get("search_phone", ""),
            name=values.get("search_name", ""),
            family_id=values.get("family_id", ""),
            call_values=values,
            call_errors=errors,
            status_code=409 if "slot" in errors and not form.errors else 422,
        )
    if created.get("family_id"):
        await guarded.record_write(
            db=runtime.db,
            identity=user.identity,
            subject_kind="passport",
            subject_id=str(created["family_id"]),
            what=f"звонок: {created['outcome_label']}",
        )
    return RedirectResponse(f"/dispatcher?call={created['call_id']}#calls", status_code=303)
