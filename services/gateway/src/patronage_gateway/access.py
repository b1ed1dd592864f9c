"""Gateway-side scoping of help requests and where each role starts.

The requests service enforces the signed identity itself; the gateway checks again here,
from the request it got (its curator, district, agencies), to decide what the audit log
flags and when to ask for a break-the-glass reason.
"""

from dataclasses import dataclass
from typing import Any

from patronage_common.identity import Identity, Role

HOME = {
    Role.CURATOR: "/curator",
    Role.DISPATCHER: "/dispatcher",
    Role.AGENCY_WORKER: "/inbox",
    Role.DISTRICT_HEAD: "/dashboard",
    Role.HQ_COORDINATOR: "/dashboard",
    Role.REGIONAL_ADMIN: "/dashboard",
    Role.AUDITOR: "/audit",
    Role.MEDICAL_ORGANIZATION: "/medical",
    Role.SERVICE: "/",
}

PASSPORT_READERS = frozenset(
    {
        Role.CURATOR,
        Role.DISPATCHER,
        Role.DISTRICT_HEAD,
        Role.HQ_COORDINATOR,
        Role.REGIONAL_ADMIN,
        Role.MEDICAL_ORGANIZATION,
    }
)
REQUEST_CREATORS = frozenset({Role.CURATOR, Role.DISPATCHER})
DASHBOARD_VIEWERS = frozenset({Role.DISTRICT_HEAD, Role.HQ_COORDINATOR, Role.REGIONAL_ADMIN})
HEALTH_CATEGORIES = frozenset({"health", "psychological"})


@dataclass(frozen=True)
class RequestAccess:
    """May the caller see the request, and is it outside their own scope (flagged)?"""

    allowed: bool
    flagged: bool = False
    needs_reason: bool = False


def request_access(
    identity: Identity, request: dict[str, Any], *, current_curator: str | None = None
) -> RequestAccess:
    """Whether ``identity`` may read ``request`` (HQ coordinators: see ``hq_may_read``).

    A curator reaches the requests of the families they curate now: ``current_curator``
    is the family's curator from the passport (the request records the one it was created
    under, which a curator change leaves behind).
    """
    match identity.role:
        case Role.REGIONAL_ADMIN | Role.DISPATCHER:
            return RequestAccess(True)
        case Role.CURATOR:
            if identity.subject in (request.get("curator_id"), current_curator):
                return RequestAccess(True)
            if identity.break_glass_reason and identity.break_glass_reason.strip():
                return RequestAccess(True, flagged=True)
            return RequestAccess(False, needs_reason=True)
        case Role.DISTRICT_HEAD:
            return RequestAccess(
                identity.district is not None and request.get("district") == identity.district
            )
        case Role.AGENCY_WORKER:
            agencies = {t["agency"] for t in request.get("tasks", [])}
            return RequestAccess(identity.agency is not None and identity.agency.value in agencies)
        case Role.MEDICAL_ORGANIZATION:
            return RequestAccess(request.get("category") in HEALTH_CATEGORIES)
        case _:
            return RequestAccess(False)


def agency_view(identity: Identity, request: dict[str, Any]) -> dict[str, Any]:
    """The minimal view of a request an agency worker gets: their own task, no family data."""
    own = [
        t for t in request.get("tasks", []) if identity.agency and t["agency"] == identity.agency
    ]
    return {
        "request_id": request["request_id"],
        "category": request["category"],
        "description": request["description"],
        "urgency": request["urgency"],
        "status": request["status"],
        "district": request.get("district"),
        "tasks": own,
        "created_at": request["created_at"],
    }
