"""What every service does the same way when it scopes the signed identity.

The caller of a route (the verified identity, or the unsigned ``X-Actor`` while
identities are optional), a decision with its reason in Russian, break-the-glass for a
curator outside their families, and the 403 that a refusal becomes. Each service keeps
its own scoping rules (who reaches which passport or request) in its own ``access``
module, as pure functions returning a ``Decision``.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, status
from fastapi.responses import JSONResponse

from .identity import Identity, IdentityDep, Role

FORBIDDEN = "forbidden"
BREAK_GLASS_REQUIRED = "break_glass_required"
OTHER_CURATORS_FAMILY = "семья закреплена за другим куратором: укажите причину доступа"


@dataclass(frozen=True)
class Caller:
    """Who calls: the signed identity (if any) and the name changes are recorded under."""

    identity: Identity | None
    actor: str


def actor_of(identity: Identity | None, stated: str | None, default: str) -> str:
    """The name a change is recorded under: the signed identity's subject, except that a
    service (the SERVICE role) acting for someone — the chat-bot for a family — names them
    in ``X-Actor``; without an identity the unsigned header (or ``default``)."""
    if identity is None:
        return stated or default
    if identity.role is Role.SERVICE and stated:
        return stated
    return identity.subject


async def caller(
    identity: IdentityDep,
    actor: Annotated[str | None, Header(alias="X-Actor", description="Кто действует")] = None,
) -> Caller:
    """FastAPI dependency: the signed identity wins over the unsigned X-Actor header.

    ``async`` so that FastAPI calls it in the event loop, not in a worker thread.
    """
    return Caller(identity, actor_of(identity, actor, "system"))


CallerDep = Annotated[Caller, Depends(caller)]
"""The route's caller (identity verified, or None while IDENTITY_REQUIRED is false)."""


@dataclass(frozen=True)
class Decision:
    """Whether the caller may go on, and if not, why (a code and a message in Russian)."""

    allowed: bool
    code: str = ""
    message: str = ""
    family_id: str | None = None
    """Set with BREAK_GLASS_REQUIRED: the family whose curator's reason would open it."""


ALLOW = Decision(True)


def deny(message: str, code: str = FORBIDDEN) -> Decision:
    """A refusal, with its reason for people."""
    return Decision(False, code, message)


def states_reason(identity: Identity) -> bool:
    """Whether the caller states a break-the-glass reason (blank does not count)."""
    return bool(identity.break_glass_reason and identity.break_glass_reason.strip())


def outside_scope(identity: Identity, *, refusal: str, family_id: str | None = None) -> Decision:
    """Reading a family outside the caller's scope: a curator with a stated reason only.

    Another role gets ``refusal``; a curator without a reason is asked for one
    (BREAK_GLASS_REQUIRED, naming the family when known). Never for changes.
    """
    if identity.role is not Role.CURATOR:
        return deny(refusal)
    if states_reason(identity):
        return ALLOW
    return Decision(False, BREAK_GLASS_REQUIRED, OTHER_CURATORS_FAMILY, family_id)


class AccessDeniedError(Exception):
    """The caller's identity does not reach what it asked for (403)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message)
        self.code = decision.code
        self.message = decision.message
        self.family_id = decision.family_id


def enforce(decision: Decision) -> None:
    """Raise ``AccessDeniedError`` unless the decision allows."""
    if not decision.allowed:
        raise AccessDeniedError(decision)


async def access_denied(request: Request, exc: Exception) -> JSONResponse:
    """A refusal: 403 with the reason (``detail``), its ``code`` and the family if named."""
    assert isinstance(exc, AccessDeniedError)
    content = {"detail": exc.message, "code": exc.code}
    if exc.family_id:
        content["family_id"] = exc.family_id
    return JSONResponse(status_code=status.HTTP_403_FORBIDDEN, content=content)
