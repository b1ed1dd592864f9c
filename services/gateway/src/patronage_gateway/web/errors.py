"""How refusals reach people: pages for the UI, JSON for the API, in Russian."""

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ..clients import ServiceError, ServiceUnavailableError
from ..guarded import AccessDeniedError, NotFoundError, ReasonRequiredError
from .deps import CsrfError, LoginRequiredError
from .render import render


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/hooks/"))


def _page_or_json(request: Request, status_code: int, message: str, **extra: Any) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message, **extra}, status_code=status_code)
    return render(
        request, "error.html", None, status_code=status_code, message=message, code=status_code
    )


async def login_required(request: Request, exc: Exception) -> Response:
    """Not logged in: the login page (UI) or 401 (API)."""
    if _is_api(request):
        return JSONResponse(
            {"detail": "требуется вход"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


async def csrf_failed(request: Request, exc: Exception) -> Response:
    """A form without the right CSRF token."""
    return _page_or_json(request, 403, "форма устарела или подделана: обновите страницу")


async def access_denied(request: Request, exc: Exception) -> Response:
    """Outside the caller's scope."""
    return _page_or_json(request, 403, "доступ запрещён: это вне вашей зоны ответственности")


async def reason_required(request: Request, exc: Exception) -> Response:
    """Another curator's family: ask for the reason (UI) or say so (API)."""
    assert isinstance(exc, ReasonRequiredError)
    if _is_api(request):
        return JSONResponse(
            {"detail": "семья закреплена за другим куратором", "code": "break_glass_required"},
            status_code=403,
        )
    return RedirectResponse(
        f"/families/{exc.family_id}/access?next={request.url.path}", status_code=303
    )


async def not_found(request: Request, exc: Exception) -> Response:
    """No such passport or request."""
    return _page_or_json(request, 404, "не найдено")


async def unavailable(request: Request, exc: Exception) -> Response:
    """A service behind the gateway did not answer."""
    return _page_or_json(request, 503, f"сервис временно недоступен ({exc})")


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's HTTPException, as a page for the UI."""
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return render(
        request,
        "error.html",
        None,
        status_code=exc.status_code,
        message=str(exc.detail),
        code=exc.status_code,
    )


async def service_refused(request: Request, exc: Exception) -> Response:
    """A service behind the gateway refused the call (its reason, in Russian)."""
    assert isinstance(exc, ServiceError)
    return _page_or_json(request, exc.status_code, str(exc.detail))


EXCEPTION_HANDLERS = {
    ServiceError: service_refused,
    LoginRequiredError: login_required,
    CsrfError: csrf_failed,
    AccessDeniedError: access_denied,
    ReasonRequiredError: reason_required,
    NotFoundError: not_found,
    ServiceUnavailableError: unavailable,
    HTTPException: http_error,
}
