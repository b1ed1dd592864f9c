"""Who may read or change which passport: the scoping rules of the signed identity.

Pure functions of the caller and the stored passport; the routes turn a refusal into 403.
A curator reads another curator's family only by break-the-glass (a stated reason, which
the gateway's audit log flags); no role changes a passport outside its scope.
"""

from typing import Any

from patronage_common.access import ALLOW, Decision, deny, outside_scope
from patronage_common.identity import Identity, Role

from .diffs import health_changes, restrict_changes

Document = dict[str, Any]

# Needs a medical organization may see (health-related only).
HEALTH_NEED_CATEGORIES = frozenset({"health", "psychological"})
READ_ANYWHERE = frozenset(
    {Role.REGIONAL_ADMIN, Role.DISPATCHER, Role.MEDICAL_ORGANIZATION, Role.SERVICE}
)
WRITERS = frozenset({Role.CURATOR, Role.REGIONAL_ADMIN})


def _in_scope(identity: Identity, document: Document) -> bool:
    address = document.get("address") or {}
    match identity.role:
        case Role.CURATOR:
            return bool(document.get("curator_id") == identity.subject)
        case Role.DISTRICT_HEAD:
            return identity.district is not None and address.get("district") == identity.district
        case Role.HQ_COORDINATOR:
            return identity.hq is not None and address.get("hq") == identity.hq
        case _:
            return identity.role in READ_ANYWHERE


def may_read(identity: Identity | None, document: Document) -> Decision:
    """May the caller read this passport (None: an unsigned call, allowed while optional)?"""
    if identity is None or _in_scope(identity, document):
        return ALLOW
    return outside_scope(identity, refusal="семья вне вашей зоны ответственности")


def may_change(identity: Identity | None, document: Document) -> Decision:
    """May the caller change this passport? Break-the-glass never covers changes."""
    if identity is None:
        return ALLOW
    if identity.role not in WRITERS:
        return deny("ваша роль не позволяет изменять паспорт")
    if identity.role is Role.CURATOR and document.get("curator_id") != identity.subject:
        return deny("изменять паспорт может только куратор семьи")
    return ALLOW


def may_register(identity: Identity | None, curator_id: str | None) -> Decision:
    """May the caller register a family (a curator only as its own curator)?"""
    if identity is None or identity.role is Role.REGIONAL_ADMIN:
        return ALLOW
    if identity.role is Role.CURATOR and curator_id in (None, identity.subject):
        return ALLOW
    return deny("регистрировать семьи может только куратор (за собой)")


def health_view(shown: Document) -> Document:
    """Only the health-related part of an API passport, for a medical organization."""
    members = [
        {
            "member_id": m["member_id"],
            "relation": m["relation"],
            "full_name": m["full_name"],
            "birth_date": m["birth_date"],
            "disability": m.get("disability"),
            "pregnancy": m.get("pregnancy"),
        }
        for m in shown.get("members") or []
    ]
    return {
        **shown,
        "serviceman": None,
        "contacts": None,
        "members": members,
        "needs": [n for n in shown.get("needs") or [] if n["category"] in HEALTH_NEED_CATEGORIES],
        "measures": [],
        "plan_items": [p for p in shown.get("plan_items") or [] if p.get("agency") == "health"],
        "curator_history": [],
    }


def view_for(identity: Identity | None, shown: Document) -> Document:
    """What of an API passport the caller's role may see."""
    if identity is not None and identity.role is Role.MEDICAL_ORGANIZATION:
        return health_view(shown)
    return shown


def history_view(
    identity: Identity | None, changes: list[Document], document: Document
) -> list[Document]:
    """The field changes of a version as the family's consent and the caller's role allow.

    ``document`` is the current decrypted passport: its restrictions apply to every version.
    """
    shown = restrict_changes(changes, document.get("restricted_scopes") or [])
    if identity is not None and identity.role is Role.MEDICAL_ORGANIZATION:
        return health_changes(shown, health_view(document))
    return shown


SEARCHERS = frozenset(
    {
        Role.CURATOR,
        Role.DISPATCHER,
        Role.DISTRICT_HEAD,
        Role.HQ_COORDINATOR,
        Role.REGIONAL_ADMIN,
        Role.MEDICAL_ORGANIZATION,
        Role.SERVICE,
    }
)


def scoped_search(identity: Identity | None, criteria: dict[str, str | None]) -> Decision:
    """May the caller search with these criteria (a scoped role only inside its scope)?"""
    if identity is None:
        return ALLOW
    if identity.role not in SEARCHERS:
        return deny("ваша роль не позволяет искать семьи")
    bound = {
        Role.CURATOR: ("curator_id", identity.subject),
        Role.DISTRICT_HEAD: ("district", identity.district),
        Role.HQ_COORDINATOR: ("hq", identity.hq),
    }.get(identity.role)
    if bound is not None and criteria.get(bound[0]) != bound[1]:
        return deny(f"поиск только в своей зоне: укажите {bound[0]}={bound[1]}")
    return ALLOW
