"""The signed identity the gateway passes to the services (a short-lived HS256 JWT).

The gateway authenticates a person and states who they are, in which role and scope, in
the ``X-Patronage-Identity`` header; a service verifies the signature with the shared
``IDENTITY_SECRET`` and enforces its own scoping rules. A request without the header is
served as before only while ``IDENTITY_REQUIRED`` is false (development and tests).
"""

import time
from collections.abc import Generator
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Header, HTTPException, status
from patronage_contracts import Agency, utc_now
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .runtime import RuntimeDep

IDENTITY_HEADER = "X-Patronage-Identity"
ALGORITHM = "HS256"
AUDIENCE = "patronage-services"
ISSUER = "patronage-gateway"
DEFAULT_TTL = timedelta(minutes=2)


class Role(StrEnum):
    """What a person does in the system; decides what they may see."""

    CURATOR = "curator"
    DISPATCHER = "dispatcher"
    AGENCY_WORKER = "agency_worker"
    DISTRICT_HEAD = "district_head"
    HQ_COORDINATOR = "hq_coordinator"
    REGIONAL_ADMIN = "regional_admin"
    AUDITOR = "auditor"
    MEDICAL_ORGANIZATION = "medical_organization"
    SERVICE = "service"


class Identity(BaseModel):
    """Who acts: the account, its role and the one scope the role is bound to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: str = Field(min_length=1, max_length=100, description="Account login")
    role: Role
    display_name: str = ""
    district: str | None = None
    hq: str | None = None
    agency: Agency | None = None
    break_glass_reason: str | None = Field(
        default=None, max_length=1000, description="Stated reason to read outside one's scope"
    )

    def with_reason(self, reason: str | None) -> "Identity":
        """The same identity stating a break-the-glass reason."""
        return self.model_copy(update={"break_glass_reason": reason})


class IdentityError(ValueError):
    """The identity header is missing, forged, expired or malformed."""


def sign_identity(identity: Identity, secret: str, *, ttl: timedelta = DEFAULT_TTL) -> str:
    """A compact signed token stating ``identity`` for ``ttl``."""
    now = utc_now()
    claims: dict[str, Any] = {
        **identity.model_dump(mode="json", exclude_none=True),
        "sub": identity.subject,
        "iat": now,
        "exp": now + ttl,
        "aud": AUDIENCE,
        "iss": ISSUER,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class IdentitySigner:
    """Signs identities, reusing a token while it has at least half its lifetime left.

    A caller calling again and again as the same person (the gateway) then sends the same
    token, which the services verify once (see ``verify_identity``) instead of every call.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, secret: str, *, ttl: timedelta = DEFAULT_TTL) -> None:
        self._secret = secret
        self._ttl = ttl
        self._reuse_s = ttl.total_seconds() / 2
        self._tokens: dict[Identity, tuple[float, str]] = {}

    def token(self, identity: Identity) -> str:
        """A valid signed token stating ``identity`` (valid for at least half the TTL)."""
        now = time.monotonic()
        cached = self._tokens.get(identity)
        if cached is not None and now - cached[0] < self._reuse_s:
            return cached[1]
        if len(self._tokens) >= self.MAX_ENTRIES:
            self._tokens.clear()
        token = sign_identity(identity, self._secret, ttl=self._ttl)
        self._tokens[identity] = (now, token)
        return token


# Tokens already verified, with their expiry (epoch seconds): verifying the same bytes with
# the same secret again could only give the same answer until the token expires.
_verified: dict[tuple[str, str], tuple[float, Identity]] = {}
VERIFIED_MAX_ENTRIES = 10_000


def verify_identity(token: str, secret: str) -> Identity:
    """The identity a token states, if its signature, audience and expiry hold."""
    known = _verified.get((secret, token))
    if known is not None and time.time() < known[0]:
        return known[1]
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"]},
        )
        identity = Identity.model_validate(claims)
    except (jwt.PyJWTError, ValidationError) as exc:
        raise IdentityError(f"недействительное удостоверение личности: {exc}") from exc
    if len(_verified) >= VERIFIED_MAX_ENTRIES:
        _verified.clear()
    _verified[(secret, token)] = (float(claims["exp"]), identity)
    return identity


class ServiceIdentityAuth(httpx.Auth):
    """An HTTP client's calls from one service to another, each with the service's signed
    identity (the SERVICE role; a token is reused while it has half its lifetime left)."""

    def __init__(self, service_name: str, secret: str) -> None:
        self._identity = Identity(subject=f"service:{service_name}", role=Role.SERVICE)
        self._signer = IdentitySigner(secret)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[IDENTITY_HEADER] = self._signer.token(self._identity)
        yield request


def service_identity_headers(service_name: str, secret: str) -> dict[str, str]:
    """Headers for a call from one service to another (the SERVICE role)."""
    identity = Identity(subject=f"service:{service_name}", role=Role.SERVICE)
    return {IDENTITY_HEADER: sign_identity(identity, secret)}


async def caller_identity(
    runtime: RuntimeDep,
    token: Annotated[
        str | None,
        Header(alias=IDENTITY_HEADER, description="Signed identity from the gateway"),
    ] = None,
) -> Identity | None:
    """FastAPI dependency: the verified caller, or None when identities are optional."""
    settings = runtime.settings
    if token is None:
        if settings.identity_required:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "требуется удостоверение личности")
        return None
    try:
        return verify_identity(token, settings.identity_secret)
    except IdentityError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc


IdentityDep = Annotated[Identity | None, Depends(caller_identity)]
"""The caller's verified identity (None only while IDENTITY_REQUIRED is false)."""
