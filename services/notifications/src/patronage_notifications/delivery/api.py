"""``POST /sms/receipts``: the SMS gateway reports whether a message reached the phone."""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from ..context import NotifierDep
from .receipt_flows import UnknownMessageError, record_sms_receipt
from .receipts import ReceiptStatus

router = APIRouter(tags=["delivery"])


class SmsReceipt(BaseModel):
    """The gateway's delivery report on one message."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, description="Id of the message as we sent it")
    status: ReceiptStatus
    permanent: bool = Field(
        default=False, description="The number can never receive SMS (failed only)"
    )
    error: str | None = Field(default=None, max_length=2000)
    message_id: str | None = Field(default=None, description="The gateway's own message id")


def _authorized(header: str | None, secret: str) -> bool:
    if not secret:
        return False
    scheme, _, token = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), secret.encode())


@router.post("/sms/receipts")
async def sms_receipt(
    receipt: SmsReceipt,
    notifier: NotifierDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Record a delivery report (repeats are harmless); a permanent failure alerts the curator."""
    if not _authorized(authorization, notifier.settings.sms_receipt_secret):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "нужен верный секрет шлюза SMS (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        recorded = await record_sms_receipt(
            notifier=notifier,
            message_id=receipt.id,
            status=receipt.status,
            permanent=receipt.permanent,
            error=receipt.error,
            provider_id=receipt.message_id,
        )
    except UnknownMessageError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            [
                {
                    "loc": ["body", "id"],
                    "msg": f"SMS с id {receipt.id} мы не отправляли",
                    "type": "not_found",
                }
            ],
        ) from None
    if recorded.receipt["status"] != receipt.status.value:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            [
                {
                    "loc": ["body", "status"],
                    "msg": f"по этому SMS уже получен другой отчёт: {recorded.receipt['status']}",
                    "type": "conflict",
                }
            ],
        )
    return {"id": receipt.id, "status": recorded.receipt["status"], "new": recorded.new}
