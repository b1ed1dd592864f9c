"""Live notifications for the curator's pages: the notifications service's stream, proxied.

The browser holds one server-sent-events connection to the gateway, authenticated by its
session like any other call; the gateway opens the notifications service's stream of the
session's own curator (never one named by the browser) and relays it byte for byte, so the
events (their ids, names and data) are exactly the notifications service's.
"""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from patronage_common.identity import Role
from starlette.background import BackgroundTask

from ..web.deps import ServicesDep, User, require

router = APIRouter(prefix="/api", tags=["public API"])

Curator = Annotated[User, require(Role.CURATOR)]

# Proxies must not buffer or cache the stream (nginx honours X-Accel-Buffering).
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/live/notifications", response_class=StreamingResponse)
async def live_notifications(
    user: Curator,
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The calling curator's in-app notifications as they happen (text/event-stream)."""
    upstream = await services.open_curator_stream(user.identity, last_event_id)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            # The notifications replica went away: end the stream, the browser reconnects.
            return
        finally:
            await upstream.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
        background=BackgroundTask(upstream.aclose),
    )
