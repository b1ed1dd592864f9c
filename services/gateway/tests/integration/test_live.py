"""Live notifications through the gateway: the real notifications service's stream, proxied.

A curator's page stream (session cookie, no curator id anywhere in the call) receives the
status change of their family's request as it happens; another curator's stream, open at
the same time, never sees it; nobody can ask for someone else's stream.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from ..conftest import Stack, browser
from ..helpers import create_request, family_form, json_of, register_family

pytestmark = pytest.mark.integration

STREAM = "/api/live/notifications"


class EventStream:
    """Server-sent events read from an open response, one ``(event, id, data)`` at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout_s: float = 90.0) -> tuple[str, str, dict[str, Any]]:
        """The next event (comments and pings skipped)."""
        return await asyncio.wait_for(self._next(), timeout_s)

    async def _next(self) -> tuple[str, str, dict[str, Any]]:
        event, event_id, data = "message", "", ""
        async for line in self._lines:
            if not line:
                if data:
                    return event, event_id, json.loads(data)
                event, event_id = "message", ""
            elif line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("id:"):
                event_id = line.removeprefix("id:").strip()
            elif line.startswith("data:"):
                data += line.removeprefix("data:").strip()
        raise EOFError("the stream ended")


@asynccontextmanager
async def live(
    client: httpx.AsyncClient, *, last_event_id: str = "", **params: str
) -> AsyncIterator[EventStream]:
    """The page's live stream, open and ready."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    timeout = httpx.Timeout(15, read=120)
    async with client.stream("GET", STREAM, params=params, headers=headers, timeout=timeout) as r:
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        stream = EventStream(r)
        event, _, _ = await stream.next()
        assert event == "ready"
        yield stream


async def test_a_status_change_reaches_only_its_curators_page_stream(live_stack: Stack) -> None:
    async with (
        browser(live_stack, "cur-elets-1") as curator,
        browser(live_stack, "cur-lipetsk-city-1") as other,
    ):
        family_id = await register_family(curator, family_form("elets", "Зайцева Анна Ивановна"))
        other_family = await register_family(
            other, family_form("lipetsk-city", "Соколова Мария Петровна")
        )
        # The other curator names the first one: the gateway ignores it, the stream is theirs.
        async with live(curator) as mine, live(other, curator_id="cur-elets-1") as theirs:
            request_id = await create_request(curator, family_id)
            event, event_id, item = await mine.next()
            assert event == "notification"
            assert event_id == item["notification_id"]
            assert request_id[:8] in item["text"]
            assert "направлена" in item["text"]
            # The page re-reads the status it shows: the change is already there.
            shown = await json_of(await curator.get(f"/api/requests/{request_id}/status"))
            assert shown["status"] == "routed"

            # The other curator's first notification is about their own request, not ours.
            other_request = await create_request(other, other_family)
            _, _, first = await theirs.next()
            assert other_request[:8] in first["text"]
            assert request_id[:8] not in first["text"]


async def test_only_a_logged_in_curator_opens_a_stream(live_stack: Stack) -> None:
    async with browser(live_stack) as anonymous:
        refused = await anonymous.get(STREAM)
        assert refused.status_code == 401
    async with browser(live_stack, "dispatcher-1") as dispatcher:
        refused = await dispatcher.get(STREAM)
        assert refused.status_code == 403


async def test_a_curator_reconnects_after_the_stream_closed(live_stack: Stack) -> None:
    async with browser(live_stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Орлова Дарья Ильинична"))
        async with live(curator) as first:
            first_request = await create_request(curator, family_id)
            _, seen, item = await first.next()
            assert first_request[:8] in item["text"]
        # Reconnecting as a browser does (stating the last id it saw) opens a live stream again.
        async with live(curator, last_event_id=seen) as again:
            second_request = await create_request(curator, family_id, category="education")
            _, _, item = await again.next()
            assert second_request[:8] in item["text"]
