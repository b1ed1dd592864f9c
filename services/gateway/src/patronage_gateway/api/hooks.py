"""Webhooks of outside systems, relayed to the notifications service.

The gateway is the installation's only public entry, so Telegram (the chat-bot in webhook
mode) and the SMS gateway (delivery receipts) call it here. It passes each call on as it
came — body, content type and the caller's secret header — and answers with the
notifications service's answer; the notifications service checks the secret.
"""

from fastapi import APIRouter, HTTPException, Request, Response, status

from ..web.deps import ServicesDep

router = APIRouter(prefix="/hooks", tags=["webhooks"])

# A Telegram update or an SMS receipt is a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 1_000_000
RELAYED_HEADERS = ("content-type", "authorization", "x-telegram-bot-api-secret-token")


async def _relay(request: Request, services: ServicesDep, path: str) -> Response:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "слишком большой запрос")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "слишком большой запрос")
    headers = {name: request.headers[name] for name in RELAYED_HEADERS if name in request.headers}
    answer = await services.relay_to_notifications(path, body, headers)
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
    )


@router.post("/telegram")
async def telegram_update(request: Request, services: ServicesDep) -> Response:
    """A chat-bot update from Telegram (``TELEGRAM_WEBHOOK_URL`` points here)."""
    return await _relay(request, services, "/telegram/webhook")


@router.post("/sms/receipts")
async def sms_receipt(request: Request, services: ServicesDep) -> Response:
    """A delivery receipt from the SMS gateway."""
    return await _relay(request, services, "/sms/receipts")
