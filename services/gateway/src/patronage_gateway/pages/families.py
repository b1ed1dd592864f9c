"""The curator's workspace: my families, a family's passport, editing, new families."""

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from patronage_common.identity import Identity, Role
from patronage_common.runtime import RuntimeDep
from patronage_contracts import NeedCategory

from .. import guarded
from ..access import PASSPORT_READERS, REQUEST_CREATORS
from ..accounts.service import token_key
from ..audit.models import Action
from ..clients import ServiceError
from ..intake import (
    RequestFormError,
    contacts_payload,
    create_help_request,
    passport_payload,
)
from ..web.deps import SESSION_COOKIE, ServicesDep, User, require
from ..web.forms import FORM, field_errors, passport_field, plain_field
from ..web.render import FAMILY_CATEGORY_RU, SERVICE_KIND_RU, render

router = APIRouter(tags=["pages"], include_in_schema=False)

Curator = Annotated[User, require(Role.CURATOR)]
Reader = Annotated[User, require(*PASSPORT_READERS)]
Creator = Annotated[User, require(*REQUEST_CREATORS)]

SERVICE_KINDS = SERVICE_KIND_RU
CATEGORIES_RU = FAMILY_CATEGORY_RU


def session_key(request: Request) -> str:
    """The session this browser holds (break-the-glass grants belong to it)."""
    return token_key(
        request.cookies.get(SESSION_COOKIE) or request.headers.get("authorization", "")
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


MY_REQUESTS_PAGE = 20


SLA_ALERTS = ("breached", "at_risk")  # most urgent first


def sla_alerts(requests: list[dict[str, Any]]) -> dict[str, str]:
    """Per family, the most urgent SLA state among its listed requests that needs the
    curator (a deadline missed, then one near); families with none are left out."""
    alerts: dict[str, str] = {}
    for r in requests:
        for badge in r.get("sla") or []:
            state = badge.get("state")
            if state not in SLA_ALERTS:
                continue
            known = alerts.get(r["family_id"])
            if known is None or SLA_ALERTS.index(state) < SLA_ALERTS.index(known):
                alerts[r["family_id"]] = state
    return alerts


@router.get("/curator", response_class=HTMLResponse)
async def my_families(
    request: Request, user: Curator, services: ServicesDep, requests_from: int = 0
) -> Response:
    """The families the curator is responsible for, with their open needs, and the latest
    requests of those families (from the requests service, a page at a time)."""
    page, my_requests = await asyncio.gather(
        services.search_passports(user.identity, curator_id=user.identity.subject, limit=100),
        services.list_requests(
            user.identity,
            curator_id=user.identity.subject,
            offset=max(requests_from, 0),
            limit=MY_REQUESTS_PAGE + 1,
        ),
    )
    return render(
        request,
        "curator.html",
        user,
        families=page["items"],
        total=page.get("total"),
        my_requests=my_requests[:MY_REQUESTS_PAGE],
        family_sla=sla_alerts(my_requests),
        requests_from=max(requests_from, 0),
        requests_next=requests_from + MY_REQUESTS_PAGE
        if len(my_requests) > MY_REQUESTS_PAGE
        else None,
        requests_page=MY_REQUESTS_PAGE,
    )


@router.get("/families/new", response_class=HTMLResponse)
async def new_family_form(request: Request, user: Curator) -> Response:
    """The form to register a family."""
    return render(
        request,
        "family_new.html",
        user,
        values={
            "category": "svo_family",
            "district": user.identity.district or "",
            "hq": user.identity.hq or "",
        },
        errors={},
        service_kinds=SERVICE_KINDS,
        categories=CATEGORIES_RU,
    )


@router.post("/families/new", response_class=HTMLResponse)
async def register_family(
    request: Request, user: Curator, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """Register the family; on an error show the form again, filled in, errors by fields."""
    values = await _form(request)
    errors: dict[str, str] = {}
    if values.get("consent") != "yes":
        errors["consent"] = "Без согласия на обработку персональных данных паспорт не ведётся"
    for name in (
        "applicant_full_name",
        "applicant_birth_date",
        "phone",
        "district",
        "hq",
        "locality",
    ):
        if not values.get(name):
            errors[name] = "Заполните поле"
    if not errors:
        try:
            passport = await services.create_passport(
                user.identity, passport_payload(values, user.identity.subject)
            )
        except ServiceError as exc:
            if exc.status_code == 409:
                errors[FORM] = "Семья уже зарегистрирована (совпадают телефон или член семьи)"
            elif exc.status_code == 422:
                errors = field_errors(exc.detail, passport_field)
            else:
                errors[FORM] = str(exc.detail)
        else:
            family_id = str(passport["family_id"])
            await guarded.record_write(
                db=runtime.db,
                identity=user.identity,
                subject_kind="passport",
                subject_id=family_id,
                what="семья зарегистрирована",
                action=Action.CREATE,
            )
            return RedirectResponse(f"/families/{family_id}", status_code=303)
    return render(
        request,
        "family_new.html",
        user,
        status_code=422,
        values=values,
        errors=errors,
        service_kinds=SERVICE_KINDS,
        categories=CATEGORIES_RU,
    )


async def _list_requests(
    services: ServicesDep, identity: Identity, family_id: UUID
) -> list[dict[str, Any]]:
    """The family's requests, newest first, as the requests service lets ``identity`` see
    them (none when it refuses)."""
    try:
        return await services.family_requests(identity, family_id)
    except ServiceError as exc:
        if exc.status_code == 403:
            return []
        raise


async def _read_family(
    request: Request, user: User, services: ServicesDep, runtime: RuntimeDep, family_id: UUID
) -> tuple[dict[str, Any], bool, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The passport (scoped, audited) with its eligible measures and history, and the
    family's requests: the passport service and the requests service asked at once.

    The requests are asked for as the viewer is, in parallel with the passport (the requests
    service scopes them itself, and nothing is shown unless the passport read succeeds). A
    passport opened only by this session's break-the-glass reason (``flagged``) asks again
    with that reason, which may show more.
    """
    listing = asyncio.ensure_future(_list_requests(services, user.identity, family_id))
    try:
        overview, flagged = await guarded.read_passport_overview(
            db=runtime.db,
            services=services,
            identity=user.identity,
            session_key=session_key(request),
            family_id=family_id,
        )
    except BaseException:
        listing.cancel()
        if listing.done() and not listing.cancelled():
            listing.exception()  # retrieved: the passport's error is the one that counts
        raise
    requests = await listing
    if flagged:
        reason = await guarded.granted_reason(
            db=runtime.db, session_key=session_key(request), family_id=str(family_id)
        )
        if reason:
            requests = await _list_requests(services, user.identity.with_reason(reason), family_id)
    history = list(reversed(overview.get("history", [])))
    return (
        overview["passport"],
        flagged,
        overview.get("eligible_measures", []),
        history,
        requests,
    )


async def _family_page(
    request: Request,
    user: User,
    services: ServicesDep,
    runtime: RuntimeDep,
    family_id: UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    passport, flagged, measures, history, requests = await _read_family(
        request, user, services, runtime, family_id
    )
    contacts = passport.get("contacts") or {}
    context: dict[str, Any] = {
        "contact_values": {
            "phones": ", ".join(contacts.get("phones", [])),
            "telegram": contacts.get("telegram") or "",
            "email": contacts.get("email") or "",
        },
        "contact_errors": {},
        "request_values": {"urgency": "normal"},
        "request_errors": {},
    }
    context.update(extra)
    return render(
        request,
        "family.html",
        user,
        status_code=status_code,
        passport=passport,
        flagged=flagged,
        measures=measures,
        history=history,
        requests=requests,
        categories=CATEGORIES_RU,
        need_categories=[c.value for c in NeedCategory],
        can_edit=user.role is Role.CURATOR and passport.get("curator_id") == user.identity.subject,
        can_request=user.role in REQUEST_CREATORS,
        **context,
    )


@router.get("/families/{family_id}", response_class=HTMLResponse)
async def family_page(
    request: Request, family_id: UUID, user: Reader, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """A family's passport with all its sections (as much as the role may see)."""
    return await _family_page(request, user, services, runtime, family_id)


@router.get("/families/{family_id}/access", response_class=HTMLResponse)
async def break_glass_form(
    request: Request, family_id: UUID, user: Curator, next: str | None = None
) -> Response:
    """Ask for the reason to open another curator's family."""
    return render(
        request,
        "break_glass.html",
        user,
        family_id=family_id,
        next=next or "",
        errors={},
        reason="",
    )


@router.post("/families/{family_id}/access", response_class=HTMLResponse)
async def break_glass(
    request: Request, family_id: UUID, user: Curator, runtime: RuntimeDep
) -> Response:
    """Record the stated reason (flagged in the audit log) and open the family."""
    values = await _form(request)
    reason = values.get("reason", "")
    target = values.get("next", "")
    if len(reason) < 10:
        return render(
            request,
            "break_glass.html",
            user,
            status_code=422,
            family_id=family_id,
            next=target,
            reason=reason,
            errors={"reason": "Опишите причину подробнее (не короче 10 символов)"},
        )
    await guarded.grant_access(
        db=runtime.db,
        session_key=session_key(request),
        family_id=str(family_id),
        identity=user.identity,
        reason=reason,
    )
    if not (target.startswith("/") and not target.startswith("//")):
        target = f"/families/{family_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/families/{family_id}/contacts", response_class=HTMLResponse)
async def edit_contacts(
    request: Request, family_id: UUID, user: Curator, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """Replace the contacts section; on an error keep what was typed."""
    values = await _form(request)
    try:
        await services.replace_section(
            user.identity, family_id, "contacts", contacts_payload(values)
        )
    except ServiceError as exc:
        if exc.status_code == 403:
            await guarded.record_denied_write(
                db=runtime.db,
                identity=user.identity,
                subject_kind="passport",
                subject_id=str(family_id),
                what="контакты",
            )
            raise guarded.AccessDeniedError(str(family_id)) from exc
        if exc.status_code != 422:
            raise
        return await _family_page(
            request,
            user,
            services,
            runtime,
            family_id,
            status_code=422,
            contact_values=values,
            contact_errors=field_errors(exc.detail, plain_field),
        )
    await guarded.record_write(
        db=runtime.db,
        identity=user.identity,
        subject_kind="passport",
        subject_id=str(family_id),
        what="контакты",
    )
    return RedirectResponse(f"/families/{family_id}#contacts", status_code=303)


@router.post("/families/{family_id}/requests", response_class=HTMLResponse)
async def create_request(
    request: Request, family_id: UUID, user: Creator, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """Create a help request for the family (routed by the requests service)."""
    values = await _form(request)
    try:
        created = await create_help_request(runtime, services, user, family_id, values)
    except RequestFormError as exc:
        if user.role is Role.DISPATCHER:
            from .dispatcher import desk_page

            return await desk_page(
                request,
                user,
                services,
                values=values,
                errors=exc.errors,
                family_id=str(family_id),
                status_code=422,
            )
        return await _family_page(
            request,
            user,
            services,
            runtime,
            family_id,
            status_code=422,
            request_values=values,
            request_errors=exc.errors,
        )
    return RedirectResponse(f"/requests/{created['request_id']}", status_code=303)
