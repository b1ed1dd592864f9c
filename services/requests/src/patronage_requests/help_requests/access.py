"""Who may read or act on which help request: the scoping rules of the signed identity.

Pure functions of the caller, the stored request and the family snapshot (whose curator
is kept current from the passport topic); the routes turn a refusal into 403. They mirror
the passport service's rules: a curator reaches the families they curate (others only by
break-the-glass, and then only to read), a district head their district, an HQ coordinator
their HQ, regional roles and the dispatcher line everything they need, an agency worker
only requests with a task for their own agency (in that agency's minimal view). ``None``
is an unsigned call, allowed only while IDENTITY_REQUIRED is false. Decisions, the
break-the-glass rule and the 403 are shared with the passport (``patronage_common.access``).
"""

from typing import Any

from patronage_common.access import ALLOW, Decision, deny, outside_scope
from patronage_common.identity import Identity, Role
from patronage_contracts import Agency

from .domain import RequestAction

Document = dict[str, Any]

HEALTH_CATEGORIES = frozenset({"health", "psychological"})
"""Requests a medical organization may see (health-related only)."""
READ_ANYWHERE = frozenset({Role.REGIONAL_ADMIN, Role.DISPATCHER, Role.SERVICE})
CREATORS = frozenset({Role.CURATOR, Role.DISPATCHER, Role.REGIONAL_ADMIN, Role.SERVICE})
# What the dispatcher line does for a family on the phone besides creating requests.
DISPATCHER_ACTIONS = frozenset({RequestAction.ANSWER, RequestAction.FEEDBACK})
OUT_OF_SCOPE = "заявка вне вашей зоны ответственности"


def curator_of(request: Document, family: Document | None) -> str | None:
    """The family's current curator (the snapshot follows reassignments)."""
    current = (family or {}).get("curator_id")
    return str(current) if current else request.get("curator_id")


def agencies_of(request: Document) -> set[str]:
    """Agencies that have (or had) a task in the request."""
    return {t["agency"] for t in request.get("tasks", [])}


def _family_in_scope(identity: Identity, place: Document, curator_id: str | None) -> bool:
    """Whether a family (its district, HQ and curator) lies inside the caller's scope."""
    match identity.role:
        case Role.CURATOR:
            return curator_id is not None and curator_id == identity.subject
        case Role.DISTRICT_HEAD:
            return identity.district is not None and place.get("district") == identity.district
        case Role.HQ_COORDINATOR:
            return identity.hq is not None and place.get("hq") == identity.hq
        case _:
            return identity.role in READ_ANYWHERE


def may_read(identity: Identity | None, request: Document, family: Document | None) -> Decision:
    """May the caller read this request (an agency worker: only its minimal view)?"""
    if identity is None:
        return ALLOW
    match identity.role:
        case Role.AGENCY_WORKER:
            if identity.agency is not None and identity.agency.value in agencies_of(request):
                return ALLOW
            return deny("у вашего ведомства нет задачи по этой заявке")
        case Role.MEDICAL_ORGANIZATION:
            if request.get("category") in HEALTH_CATEGORIES:
                return ALLOW
            return deny("медицинской организации доступны только заявки о здоровье")
        case Role.AUDITOR:
            return deny("аудитор работает с журналом аудита, а не с заявками")
    if _family_in_scope(identity, request, curator_of(request, family)):
        return ALLOW
    return outside_scope(identity, refusal=OUT_OF_SCOPE, family_id=request.get("family_id"))


def may_list_family(identity: Identity | None, family: Document | None) -> Decision:
    """May the caller list a family's requests (read scope of the family)?"""
    if identity is None:
        return ALLOW
    if identity.role is Role.MEDICAL_ORGANIZATION:
        return ALLOW  # the list keeps only health-related requests for it
    if identity.role in (Role.AGENCY_WORKER, Role.AUDITOR):
        return deny("ваша роль не позволяет просматривать заявки семьи")
    place = family or {}
    if _family_in_scope(identity, place, place.get("curator_id")):
        return ALLOW
    return outside_scope(identity, refusal=OUT_OF_SCOPE, family_id=place.get("_id"))


def visible_in_family_list(identity: Identity | None, request: Document) -> bool:
    """Whether a request of a family the caller may list is shown to it."""
    if identity is not None and identity.role is Role.MEDICAL_ORGANIZATION:
        return request.get("category") in HEALTH_CATEGORIES
    return True


def may_list_curator(identity: Identity | None, curator_id: str) -> Decision:
    """May the caller list the requests of one curator's families?"""
    if identity is None or identity.role in (Role.REGIONAL_ADMIN, Role.SERVICE):
        return ALLOW
    if identity.role is Role.CURATOR and identity.subject == curator_id:
        return ALLOW
    if identity.role is Role.CURATOR:
        return deny("куратор видит только заявки своих семей")
    return deny("ваша роль не позволяет просматривать заявки куратора")


def may_list_district_overdue(identity: Identity | None, district: str) -> Decision:
    """May the caller see a district's overdue requests (regional roles, its head)?"""
    if identity is None or identity.role in (Role.REGIONAL_ADMIN, Role.SERVICE):
        return ALLOW
    if identity.role is Role.DISTRICT_HEAD and identity.district == district:
        return ALLOW
    if identity.role is Role.DISTRICT_HEAD:
        return deny("глава района видит только свой район")
    return deny("ваша роль не позволяет просматривать просроченные заявки района")


LINE_ROLES = frozenset({Role.DISPATCHER, Role.REGIONAL_ADMIN, Role.SERVICE})


def may_work_the_line(identity: Identity | None) -> Decision:
    """May the caller log calls and book, move or cancel appointments (line 129)?"""
    if identity is None or identity.role in LINE_ROLES:
        return ALLOW
    return deny("звонки и записи на приём ведёт диспетчер линии 129")


def may_list_agency(identity: Identity | None, agency: Agency) -> Decision:
    """May the caller list one agency's requests?"""
    if identity is None or identity.role in (Role.REGIONAL_ADMIN, Role.SERVICE):
        return ALLOW
    if identity.role is Role.AGENCY_WORKER and identity.agency == agency:
        return ALLOW
    if identity.role is Role.AGENCY_WORKER:
        return deny("сотрудник ведомства видит только заявки своего ведомства")
    return deny("ваша роль не позволяет просматривать заявки ведомства")


def may_create(identity: Identity | None, family: Document | None) -> Decision:
    """May the caller create a request for this family (a curator: only for their own)?"""
    if identity is None:
        return ALLOW
    if identity.role not in CREATORS:
        return deny("ваша роль не позволяет создавать заявки")
    if identity.role is Role.CURATOR:
        curator_id = (family or {}).get("curator_id")
        if curator_id is not None and curator_id != identity.subject:
            return deny("создать заявку может только куратор семьи")
    return ALLOW


def may_act(
    identity: Identity | None, action: RequestAction, request: Document, family: Document | None
) -> Decision:
    """May the caller take a person's action on the request? Break-the-glass never covers it."""
    if identity is None or identity.role in (Role.REGIONAL_ADMIN, Role.SERVICE):
        return ALLOW
    if identity.role is Role.DISPATCHER and action in DISPATCHER_ACTIONS:
        return ALLOW
    if identity.role is Role.CURATOR:
        if curator_of(request, family) == identity.subject:
            return ALLOW
        return deny("действовать по заявке может только куратор семьи")
    return deny("ваша роль не позволяет выполнять это действие по заявке")


def may_report(identity: Identity | None, task: Document) -> Decision:
    """May the caller report on an agency task (only a worker of that very agency)?"""
    if identity is None:
        return ALLOW
    if identity.role is not Role.AGENCY_WORKER:
        return deny("отвечать по задаче может только сотрудник ведомства")
    if identity.agency is None or identity.agency.value != task["agency"]:
        return deny("задача поручена другому ведомству")
    return ALLOW


def is_agency_view(identity: Identity | None) -> bool:
    """Whether the caller gets the agency's minimal view instead of the whole request."""
    return identity is not None and identity.role is Role.AGENCY_WORKER
