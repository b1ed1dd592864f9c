"""HTTP routes: delivery logs, staff inboxes and the curators' live stream."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from sse_starlette.sse import EventSourceResponse

from ..context import NotifierDep
from ..delivery import service as store
from ..delivery.logs import family_log, recipient_log
from ..delivery.receipts import receipt_of, with_receipt

router = APIRouter(tags=["notifications"])
KEEPALIVE_S = 15.0


async def _read(notifier: NotifierDep, ids: list[str]) -> list[dict[str, Any]]:
    db = notifier.runtime.db

    async def one(notification_id: str) -> dict[str, Any] | None:
        notification = await store.get_notification(db=db, notification_id=notification_id)
        if notification is None:
            return None
        attempts = await store.attempts_of(db=db, notification_id=notification_id)
        receipt = await receipt_of(db=db, notification_id=notification_id)
        return with_receipt(store.to_api(notification, attempts), receipt)

    return [n for n in await asyncio.gather(*(one(i) for i in ids)) if n is not None]


@router.get("/families/{family_id}/deliveries")
async def family_deliveries(
    family_id: UUID,
    notifier: NotifierDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """A family's delivery log, newest first: every notification about it and its fate."""
    ids = await notifier.logs.newest(
        db=notifier.runtime.db, key=family_log(str(family_id)), limit=limit
    )
    return await _read(notifier, ids)


@router.get("/notifications/{notification_id}")
async def read_notification(notification_id: str, notifier: NotifierDep) -> dict[str, Any]:
    """One notification with its delivery history (queued, attempts, outcome)."""
    found = await _read(notifier, [notification_id])
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "уведомление не найдено")
    return found[0]


@router.get("/notifications")
async def list_notifications(
    notifier: NotifierDep,
    recipient_id: Annotated[str, Query(min_length=1, description="Кому")],
    recipient_role: Annotated[str, Query(description="Роль получателя")] = "curator",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """A staff member's inbox, newest first."""
    ids = await notifier.logs.newest(
        db=notifier.runtime.db, key=recipient_log(recipient_role, recipient_id), limit=limit
    )
    return await _read(notifier, ids)


@router.get("/curators/{curator_id}/stream")
async def curator_stream(curator_id: str, notifier: NotifierDep) -> EventSourceResponse:
    """Server-sent events: the curator's in-app notifications as they happen."""

    async def events() -> AsyncIterator[dict[str, str]]:
        async with notifier.hub.subscribe(curator_id) as queue:
            yield {"event": "ready", "data": json.dumps({"curator_id": curator_id})}
            while True:
                item = await queue.get()
                yield {
                    "event": "notification",
                    "id": item["notification_id"],
                    "data": json.dumps(item, ensure_ascii=False),
                }

    return EventSourceResponse(events(), ping=int(KEEPALIVE_S))
