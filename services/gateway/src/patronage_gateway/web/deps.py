"""Who is calling: a UI session cookie or an API bearer token; CSRF on every form."""

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from patronage_common.identity import Identity, Role
from patronage_common.runtime import ServiceRuntime

from ..accounts import flows as accounts
from ..accounts.models import Session
from ..clients import Services
from ..settings import GatewaySettings

SESSION_COOKIE = "patronage_session"
CSRF_COOKIE = "patronage_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequiredError(Exception):
    """No valid session: the UI redirects to the login page, the API answers 401."""


class CsrfError(Exception):
    """A form without the right CSRF token."""


@dataclass(frozen=True)
class User:
    """The logged-in person and how they authenticated."""

    identity: Identity
    session: Session
    via_cookie: bool

    @property
    def role(self) -> Role:
        """The person's role."""
        return self.identity.role


def settings_of(runtime: ServiceRuntime) -> GatewaySettings:
    """The gateway's settings."""
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    return settings


async def services_of(request: Request) -> Services:
    """The pooled clients of the services behind the gateway.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in a
    worker thread, and every read waited for that thread to be woken and scheduled (and to
    take the interpreter lock back from the event loop) on a busy machine.
    """
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]


def session_cache(request: Request) -> accounts.SessionCache:
    """This process's cache of recently read sessions."""
    cache: accounts.SessionCache = request.app.state.session_cache
    return cache


async def optional_user(request: Request) -> User | None:
    """The caller if logged in (cookie) or holding an API token (bearer).

    The runtime is taken from the app rather than as a dependency: every route resolves
    this, and each dependency FastAPI solves costs more than the attribute look-up.
    """
    runtime: ServiceRuntime = request.app.state.runtime
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        session = await accounts.session_of(
            db=runtime.db, token=token, kind="api", cache=session_cache(request)
        )
        if session is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "токен недействителен или истёк",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return User(session.identity, session, via_cookie=False)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = await accounts.session_of(
        db=runtime.db, token=cookie, kind="ui", cache=session_cache(request)
    )
    return User(session.identity, session, via_cookie=True) if session else None


async def current_user(request: Request) -> User:
    """The logged-in caller; checks CSRF on every unsafe cookie-authenticated call."""
    user = await optional_user(request)
    if user is None:
        raise LoginRequiredError()
    if user.via_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        await check_csrf(request, user.session.csrf_token)
    return user


async def check_csrf(request: Request, expected: str) -> None:
    """The form field or header must carry the expected token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfError()


UserDep = Annotated[User, Depends(current_user)]
OptionalUserDep = Annotated[User | None, Depends(optional_user)]


def require(*roles: Role) -> object:
    """Dependency: the caller must have one of ``roles`` (403 otherwise).

    One dependency, not a chain of them (role check on current user on optional user):
    FastAPI solving each link cost a page read more CPU than what the links do.
    """

    async def check(request: Request) -> User:
        user = await current_user(request)
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "ваша роль не даёт доступа к этому")
        return user

    return Depends(check)
