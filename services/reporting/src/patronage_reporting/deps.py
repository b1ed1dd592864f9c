"""Who is looking: the viewer's identity and what they may see.

For now the identity comes from plain request headers (``X-Actor-Role``,
``X-Actor-District``, ``X-Actor-Hq``, ``X-Actor-Agency``); the gateway will sign it later,
and only ``get_viewer`` has to change.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException


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


def get_viewer(
    x_actor_role: Annotated[str | None, Header()] = None,
    x_actor_district: Annotated[str | None, Header()] = None,
    x_actor_hq: Annotated[str | None, Header()] = None,
    x_actor_agency: Annotated[str | None, Header()] = None,
) -> Viewer:
    """The viewer named by the request headers; 401/403 when they do not name one."""
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
