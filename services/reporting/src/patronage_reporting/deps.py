"""Who is looking: the viewer's identity and what they may see.

The gateway passes a signed identity (``X-Patronage-Identity``, see
``patronage_common.identity``); while ``IDENTITY_REQUIRED`` is false (development, tests)
plain headers may stand in for it: ``X-Actor-Role``, ``X-Actor-District``, ``X-Actor-Hq``,
``X-Actor-Agency``.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from patronage_common.identity import Identity, IdentityDep, Role


class ViewerRole(StrEnum):
    """Roles that may see reports."""

    REGIONAL = "regional_coordinator"
    HQ = "hq_coordinator"
    DISTRICT_HEAD = "district_head"
    AGENCY = "agency"


ROLE_RU = {
    ViewerRole.REGIONAL: "региональный координатор",
    ViewerRole.HQ: "координатор муниципального штаба",
    ViewerRole.DISTRICT_HEAD: "глава района",
    ViewerRole.AGENCY: "ведомство",
}


@dataclass(frozen=True)
class Viewer:
    """The person or system a report is for."""

    role: ViewerRole
    district: str | None = None
    hq: str | None = None
    agency: str | None = None

    def describe(self) -> str:
        """For whom, in Russian (the header block of an export)."""
        parts = [ROLE_RU[self.role]]
        if self.district:
            parts.append(f"район {self.district}")
        if self.hq:
            parts.append(f"штаб {self.hq}")
        if self.agency:
            parts.append(f"ведомство {self.agency}")
        return ", ".join(parts)


def _refuse(status: int, field: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=status, detail=[{"loc": ["header", field], "msg": message, "type": "scope"}]
    )


_ROLE_OF_IDENTITY = {
    Role.REGIONAL_ADMIN: ViewerRole.REGIONAL,
    Role.AUDITOR: ViewerRole.REGIONAL,
    Role.HQ_COORDINATOR: ViewerRole.HQ,
    Role.DISTRICT_HEAD: ViewerRole.DISTRICT_HEAD,
    Role.AGENCY_WORKER: ViewerRole.AGENCY,
}


def viewer_of(identity: Identity) -> Viewer:
    """The viewer a signed identity from the gateway stands for (403 if it may not see)."""
    role = _ROLE_OF_IDENTITY.get(identity.role)
    if role is None:
        raise _refuse(403, "X-Patronage-Identity", "Этой роли отчёты недоступны")
    scope = {
        ViewerRole.DISTRICT_HEAD: identity.district,
        ViewerRole.HQ: identity.hq,
        ViewerRole.AGENCY: identity.agency,
    }
    if role in scope and not scope[role]:
        raise _refuse(403, "X-Patronage-Identity", "Не указано, к чему относится пользователь")
    return Viewer(
        role=role,
        district=identity.district if role is ViewerRole.DISTRICT_HEAD else None,
        hq=identity.hq if role is ViewerRole.HQ else None,
        agency=identity.agency.value
        if role is ViewerRole.AGENCY and identity.agency is not None
        else None,
    )


def get_viewer(
    identity: IdentityDep,
    x_actor_role: Annotated[str | None, Header()] = None,
    x_actor_district: Annotated[str | None, Header()] = None,
    x_actor_hq: Annotated[str | None, Header()] = None,
    x_actor_agency: Annotated[str | None, Header()] = None,
) -> Viewer:
    """Who is looking: the gateway's signed identity, or (only while identities are not
    required, in development and tests) the ``X-Actor-*`` headers; 401/403 otherwise."""
    if identity is not None:
        return viewer_of(identity)
    if not x_actor_role:
        raise _refuse(401, "X-Actor-Role", "Не указана роль пользователя")
    try:
        role = ViewerRole(x_actor_role)
    except ValueError:
        raise _refuse(403, "X-Actor-Role", "Этой роли отчёты недоступны") from None
    needed = {
        ViewerRole.DISTRICT_HEAD: ("X-Actor-District", x_actor_district),
        ViewerRole.HQ: ("X-Actor-Hq", x_actor_hq),
        ViewerRole.AGENCY: ("X-Actor-Agency", x_actor_agency),
    }.get(role)
    if needed is not None and not needed[1]:
        raise _refuse(401, needed[0], "Не указано, к чему относится пользователь")
    return Viewer(
        role=role,
        district=x_actor_district if role is ViewerRole.DISTRICT_HEAD else None,
        hq=x_actor_hq if role is ViewerRole.HQ else None,
        agency=x_actor_agency if role is ViewerRole.AGENCY else None,
    )


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
"""FastAPI dependency: who is looking (swap ``get_viewer`` for the signed identity)."""
