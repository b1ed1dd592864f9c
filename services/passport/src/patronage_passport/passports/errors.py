"""How passport errors reach people: field-level 422, 409 naming the existing passport."""

from fastapi import Request, status
from fastapi.responses import JSONResponse
from patronage_common.access import AccessDeniedError, access_denied
from patronage_common.locks import LockTimeoutError

from .changes import ChangeRefusedError, ItemNotFoundError
from .flows import (
    DuplicatePassportError,
    PassportInvalidError,
    PassportNotFoundError,
)
from .validation import Problem


def _field_errors(problems: list[Problem], prefix: tuple[str | int, ...]) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={
            "detail": [
                {"loc": ["body", *prefix, *p.loc], "msg": p.message, "type": "value_error"}
                for p in problems
            ]
        },
    )


async def invalid_passport(request: Request, exc: Exception) -> JSONResponse:
    """Cross-section rule broken: 422 with one entry per field."""
    assert isinstance(exc, PassportInvalidError)
    return _field_errors(exc.problems, exc.prefix)


async def change_refused(request: Request, exc: Exception) -> JSONResponse:
    """A change that cannot apply to this passport: 422 naming the field."""
    assert isinstance(exc, ChangeRefusedError)
    return _field_errors([exc.problem], ())


async def duplicate_passport(request: Request, exc: Exception) -> JSONResponse:
    """The family is already registered: 409 naming its passport."""
    assert isinstance(exc, DuplicatePassportError)
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={"detail": str(exc), "existing_family_id": exc.existing_family_id},
    )


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    """Passport (or an item of it) not found: 404."""
    return JSONResponse(
        status_code=status.HTTP_404_NOT_FOUND, content={"detail": f"не найдено: {exc}"}
    )


async def concurrent_change(request: Request, exc: Exception) -> JSONResponse:
    """The passport is being changed by someone else for too long: 409, try again."""
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={"detail": "паспорт сейчас изменяет другой пользователь; повторите"},
    )


EXCEPTION_HANDLERS = {
    AccessDeniedError: access_denied,
    PassportInvalidError: invalid_passport,
    ChangeRefusedError: change_refused,
    DuplicatePassportError: duplicate_passport,
    PassportNotFoundError: not_found,
    ItemNotFoundError: not_found,
    LockTimeoutError: concurrent_change,
}
