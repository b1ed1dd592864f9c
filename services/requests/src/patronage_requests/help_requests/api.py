"""HTTP routes of help requests: intake, reading, and people's actions on a request."""

from collections.abc import Awaitable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, status
from patronage_common.runtime import RuntimeDep
from patronage_common.store import Document

from ..families.flows import FamilyNotFoundError
from . import flows, service
from .changes import ActionInvalidError, ActionRefusedError
from .models import (
    FeedbackIn,
    HelpRequestCreate,
    HelpRequestRead,
    InfoAnswer,
    RequestCancel,
    RequestClose,
    RequestReopen,
    TaskReroute,
)

router = APIRouter(prefix="/requests", tags=["requests"])

ActorHeader = Annotated[str, Header(alias="X-Actor", description="Who acts")]

NOT_FOUND = "заявка не найдена"


def _invalid(field: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own field errors."""
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _acted(action: Awaitable[Document]) -> dict[str, Any]:
    """Run an action flow and translate its refusals into HTTP errors."""
    try:
        document = await action
    except flows.RequestNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from exc
    except ActionRefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ActionInvalidError as exc:
        raise _invalid(exc.field, str(exc)) from exc
    return service.to_api(document)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HelpRequestRead)
async def create_request(
    data: HelpRequestCreate, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, object]:
    """Register a help request and route it to the responsible agencies."""
    try:
        request_id = await flows.create_help_request(runtime=runtime, data=data, actor=actor)
    except FamilyNotFoundError as exc:
        raise _invalid("family_id", str(exc)) from exc
    except ActionInvalidError as exc:
        raise _invalid(exc.field, str(exc)) from exc
    document = await service.get_request(db=runtime.db, request_id=request_id)
    assert document is not None
    return service.to_api(document)


@router.get("", response_model=list[HelpRequestRead])
async def list_requests(
    runtime: RuntimeDep,
    family_id: Annotated[UUID, Query(description="Заявки этой семьи, новые первыми")],
) -> list[dict[str, object]]:
    """A family's help requests, newest first."""
    documents = await service.requests_of_family(db=runtime.db, family_id=family_id)
    return [service.to_api(d) for d in documents]


@router.get("/{request_id}", response_model=HelpRequestRead)
async def read_request(request_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    """A help request with its agency tasks."""
    document = await service.get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return service.to_api(document)


@router.post("/{request_id}/answer", response_model=HelpRequestRead)
async def answer_question(
    request_id: UUID, data: InfoAnswer, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, Any]:
    """Answer the agency's question; the request resumes where it was."""
    return await _acted(
        flows.answer_question(runtime=runtime, request_id=request_id, data=data, actor=actor)
    )


@router.post("/{request_id}/close", response_model=HelpRequestRead)
async def close_request(
    request_id: UUID, data: RequestClose, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, Any]:
    """Close a resolved or rejected request."""
    return await _acted(
        flows.close_request(
            runtime=runtime, request_id=request_id, comment=data.comment, actor=actor
        )
    )


@router.post("/{request_id}/reopen", response_model=HelpRequestRead)
async def reopen_request(
    request_id: UUID, data: RequestReopen, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, Any]:
    """Reopen a resolved or closed request; the agencies get their tasks back."""
    return await _acted(
        flows.reopen_request(
            runtime=runtime, request_id=request_id, reason=data.reason, actor=actor
        )
    )


@router.post("/{request_id}/cancel", response_model=HelpRequestRead)
async def cancel_request(
    request_id: UUID, data: RequestCancel, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, Any]:
    """Cancel an open request; the agencies are told to stop."""
    return await _acted(
        flows.cancel_request(
            runtime=runtime, request_id=request_id, reason=data.reason, actor=actor
        )
    )


@router.post("/{request_id}/reroute", response_model=HelpRequestRead)
async def reroute_task(
    request_id: UUID, data: TaskReroute, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, Any]:
    """Hand one agency's task off to another agency."""
    return await _acted(
        flows.reroute_task(runtime=runtime, request_id=request_id, data=data, actor=actor)
    )


@router.post("/{request_id}/feedback", response_model=HelpRequestRead)
async def give_feedback(
    request_id: UUID, data: FeedbackIn, runtime: RuntimeDep, actor: ActorHeader = "family"
) -> dict[str, Any]:
    """The family rates a resolved or closed request; a low rating alerts the curator."""
    return await _acted(
        flows.give_feedback(runtime=runtime, request_id=request_id, data=data, actor=actor)
    )
