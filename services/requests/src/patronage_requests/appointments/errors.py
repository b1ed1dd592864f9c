"""How appointment and call errors reach people: field-level 422 and 409, plain 404 and 503."""

from collections.abc import Sequence

from fastapi import Request, status
from fastapi.responses import JSONResponse
from patronage_common.locks import LockTimeoutError


class FieldRefusedError(ValueError):
    """A field's value cannot be accepted; ``loc`` as FastAPI's (``("body", "starts_at")``)."""

    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT

    def __init__(self, loc: Sequence[str], message: str) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message


class SlotTakenError(FieldRefusedError):
    """Another appointment holds the slot."""

    status_code = status.HTTP_409_CONFLICT


class AppointmentClosedError(FieldRefusedError):
    """The appointment can no longer change (cancelled, or already started)."""

    status_code = status.HTTP_409_CONFLICT


class NotFoundError(LookupError):
    """The addressed call, appointment or specialist does not exist (message in Russian)."""


class PassportUnavailableError(RuntimeError):
    """The passport service did not answer."""


async def field_refused(request: Request, exc: Exception) -> JSONResponse:
    """422/409 naming the field and the reason."""
    assert isinstance(exc, FieldRefusedError)
    return JSONResponse(
        status_code=exc.status_code,
        content={
            "detail": [
                {
                    "loc": list(exc.loc),
                    "msg": exc.message,
                    "type": "conflict"
                    if exc.status_code == status.HTTP_409_CONFLICT
                    else "value_error",
                }
            ]
        },
    )


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    """404 with the reason."""
    return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={"detail": str(exc)})


async def passport_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503: the family search depends on the passport service."""
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "служба социальных паспортов недоступна; повторите позже"},
    )


async def concurrent_change(request: Request, exc: Exception) -> JSONResponse:
    """Someone else keeps changing the same document: 409, try again."""
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={"detail": "эти данные сейчас изменяет другой пользователь; повторите"},
    )


EXCEPTION_HANDLERS = {
    FieldRefusedError: field_refused,
    NotFoundError: not_found,
    PassportUnavailableError: passport_unavailable,
    LockTimeoutError: concurrent_change,
}
