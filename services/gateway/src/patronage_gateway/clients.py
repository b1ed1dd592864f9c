"""HTTP clients of the services behind the gateway."""

from typing import Any
from uuid import UUID

import httpx

from .settings import GatewaySettings

TIMEOUT_S = 5.0


class ServiceUnavailableError(RuntimeError):
    """A service behind the gateway did not answer."""


async def get_json(base_url: str, path: str) -> Any | None:
    """GET a JSON document; None on 404."""
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S) as client:
            response = await client.get(path)
    except httpx.HTTPError as exc:
        raise ServiceUnavailableError(f"{base_url} не отвечает") from exc
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    response.raise_for_status()
    return response.json()


async def get_request(settings: GatewaySettings, request_id: UUID) -> dict[str, Any] | None:
    """A help request from the requests service."""
    data: dict[str, Any] | None = await get_json(settings.requests_url, f"/requests/{request_id}")
    return data
