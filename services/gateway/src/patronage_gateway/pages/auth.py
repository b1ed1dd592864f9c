"""Login and logout (form + session cookie), language choice, OpenID Connect."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from patronage_common.runtime import RuntimeDep

from ..access import HOME
from ..accounts import flows as accounts
from ..accounts import oidc
from ..accounts import service as account_store
from ..web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    OptionalUserDep,
    UserDep,
    check_csrf,
    session_cache,
    settings_of,
)
from ..web.i18n import LANG_COOKIE, LANGUAGES
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: no open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/")
async def start(user: OptionalUserDep) -> RedirectResponse:
    """The person's own start page, or the login page."""
    return RedirectResponse(HOME[user.role] if user else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: OptionalUserDep, next: str | None = None) -> Response:
    """The login form."""
    settings = settings_of(request.app.state.runtime)
    return render(
        request, "login.html", None, next=_safe_next(next) or "", oidc=settings.oidc_enabled
    )


def _set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = settings_of(request.app.state.runtime)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    runtime: RuntimeDep,
    login: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (with lockout) and open a session."""
    await check_csrf(request, request.cookies.get(CSRF_COOKIE, ""))
    settings = settings_of(runtime)
    login = login.strip()
    errors: dict[str, str] = {}
    if not login:
        errors["login"] = "Введите логин"
    if not password:
        errors["password"] = "Введите пароль"  # noqa: S105 - a message
    status_code = 422
    if not errors:
        try:
            account = await accounts.authenticate(
                db=runtime.db, settings=settings, login=login, password=password
            )
        except accounts.LoginLockedError as exc:
            errors["password"] = f"Слишком много неудачных попыток: повторите через {exc.seconds} с"
            status_code = 429
        except accounts.LoginFailedError:
            errors["password"] = "Неверный логин или пароль"  # noqa: S105 - a message
            status_code = 401
        else:
            token, _ = await accounts.open_session(
                db=runtime.db, identity=account.identity(), kind="ui", ttl_s=settings.session_ttl_s
            )
            target = _safe_next(next) or HOME[account.role]
            response = RedirectResponse(target, status_code=303)
            _set_session_cookie(response, request, token)
            return response
    return render(
        request,
        "login.html",
        None,
        status_code=status_code,
        errors=errors,
        login=login,
        next=_safe_next(next) or "",
        oidc=settings.oidc_enabled,
    )


@router.post("/logout")
async def logout(request: Request, user: UserDep, runtime: RuntimeDep) -> RedirectResponse:
    """End the session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await accounts.close_session(db=runtime.db, token=token, cache=session_cache(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
async def choose_language(request: Request, lang: str, next: str | None = None) -> Response:
    """Switch the interface language (ru, en)."""
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/auth/oidc/login")
async def oidc_login(request: Request) -> Response:
    """Send the browser to the regional identity provider."""
    settings = settings_of(request.app.state.runtime)
    try:
        start = oidc.start_authorization(settings)
    except oidc.OidcError as exc:
        return render(request, "error.html", None, status_code=404, message=str(exc), code=404)
    response = RedirectResponse(start.url, status_code=303)
    response.set_cookie(
        oidc.STATE_COOKIE,
        start.state_cookie,
        max_age=oidc.STATE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/auth/oidc",
    )
    return response


@router.get("/auth/oidc/callback")
async def oidc_callback(
    request: Request, runtime: RuntimeDep, code: str = "", state: str = ""
) -> Response:
    """Come back from the provider: verify, find the local account, open a session."""
    settings = settings_of(runtime)
    try:
        stored = oidc.read_state_cookie(settings, request.cookies.get(oidc.STATE_COOKIE), state)
        login = await oidc.finish_authorization(settings, code=code, stored=stored)
    except oidc.OidcError as exc:
        return render(request, "error.html", None, status_code=401, message=str(exc), code=401)
    account = await account_store.get_account(db=runtime.db, login=login)
    if account is None or account.disabled:
        message = f"учётная запись «{login}» не зарегистрирована в Патронаже"
        return render(request, "error.html", None, status_code=403, message=message, code=403)
    token, _ = await accounts.open_session(
        db=runtime.db, identity=account.identity(), kind="ui", ttl_s=settings.session_ttl_s
    )
    response = RedirectResponse(HOME[account.role], status_code=303)
    _set_session_cookie(response, request, token)
    response.delete_cookie(oidc.STATE_COOKIE, path="/auth/oidc")
    return response
