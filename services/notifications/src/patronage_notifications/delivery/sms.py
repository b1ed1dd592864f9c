"""SMS through an HTTP gateway: POST {url}/messages {"phone", "text", "id"}."""

import httpx
from patronage_contracts import NotificationChannel

from .channels import OutgoingMessage, PermanentDeliveryError, Receipt, TransientDeliveryError

PERMANENT_STATUSES = frozenset({400, 404, 410, 422})


class SmsChannel:
    """4xx about the number is permanent; 429, 5xx and network errors are transient."""

    kind = NotificationChannel.SMS

    def __init__(self, *, url: str, token: str = "", timeout_s: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout_s)

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Hand the text to the gateway."""
        try:
            response = await self._client.post(
                "/messages",
                json={
                    "phone": message.address,
                    "text": message.body,
                    "id": message.notification_id,
                },
            )
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in PERMANENT_STATUSES:
            raise PermanentDeliveryError(f"{response.status_code} {response.text[:300]}")
        if response.status_code >= 300:
            raise TransientDeliveryError(f"{response.status_code} {response.text[:300]}")
        body = response.json() if response.content else {}
        return Receipt(
            delivered=body.get("status") == "delivered", provider_id=body.get("message_id")
        )

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
