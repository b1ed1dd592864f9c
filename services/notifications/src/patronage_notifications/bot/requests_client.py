"""The requests service's HTTP API as the chat-bot uses it (acting for the family).

``POST /requests``, ``GET /requests?family_id=``, ``POST /requests/{id}/answer`` and
``POST /requests/{id}/feedback`` of the requests service.
"""

from typing import Any

import httpx
from patronage_contracts import Channel, NeedCategory


class RequestsUnavailableError(RuntimeError):
    """The requests service did not answer or refused the call."""


class RequestsClient:
    """Calls the requests service with ``X-Actor: family:<id>``."""

    def __init__(self, *, base_url: str, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._http = http

    async def _call(self, method: str, path: str, family_id: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(
                method, self._base + path, headers={"X-Actor": f"family:{family_id}"}, **kwargs
            )
        except httpx.HTTPError as exc:
            raise RequestsUnavailableError(str(exc)) from exc
        if response.status_code >= 400:
            raise RequestsUnavailableError(f"{response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def create_request(
        self, *, family_id: str, category: NeedCategory, description: str
    ) -> dict[str, Any]:
        """Register a help request from the chat-bot."""
        created: dict[str, Any] = await self._call(
            "POST",
            "/requests",
            family_id,
            json={
                "family_id": family_id,
                "category": category.value,
                "description": description,
                "channel": Channel.CHATBOT.value,
            },
        )
        return created

    async def family_requests(self, *, family_id: str) -> list[dict[str, Any]]:
        """The family's requests, newest first."""
        found = await self._call("GET", "/requests", family_id, params={"family_id": family_id})
        items = found.get("items", []) if isinstance(found, dict) else found
        return list(items or [])

    async def answer_question(self, *, family_id: str, request_id: str, text: str) -> None:
        """The family's answer to an agency's needs_info question."""
        await self._call("POST", f"/requests/{request_id}/answer", family_id, json={"answer": text})

    async def rate(self, *, family_id: str, request_id: str, rating: int) -> None:
        """The family's rating (1–5) of a resolved request."""
        await self._call(
            "POST", f"/requests/{request_id}/feedback", family_id, json={"rating": rating}
        )
