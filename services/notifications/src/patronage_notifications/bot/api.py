"""``POST /link-codes``: a curator issues a one-time code to link a family's Telegram;
``POST /telegram/webhook``: the Bot API delivers the chat-bot's updates (webhook mode)."""

import hmac
from typing import Annotated, Any
from uuid import UUID

from aiogram.methods import TelegramMethod
from fastapi import APIRouter, Body, Header, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from ..contacts.flows import contact_for
from ..context import NotifierDep
from ..settings import WEBHOOK_PATH
from . import linking
from .runner import ChatBotWebhook

router = APIRouter(tags=["chat-bot"])


class LinkCodeCreate(BaseModel):
    """Which family the code is for."""

    model_config = ConfigDict(extra="forbid")

    family_id: UUID


class LinkCode(BaseModel):
    """A one-time code the family sends to the bot."""

    code: str = Field(description="6 цифр; действует один раз")
    family_id: UUID
    expires_at: str


@router.post("/link-codes", status_code=status.HTTP_201_CREATED, response_model=LinkCode)
async def create_link_code(
    data: LinkCodeCreate,
    notifier: NotifierDep,
    actor: Annotated[str, Header(alias="X-Actor", description="Куратор")],
) -> dict[str, str]:
    """Issue a one-time code linking the family's Telegram chat to its passport."""
    contact = await contact_for(notifier=notifier, family_id=str(data.family_id))
    if contact is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            [{"loc": ["body", "family_id"], "msg": "семья не найдена", "type": "not_found"}],
        )
    if contact.curator_id and actor != contact.curator_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "код выдаёт только куратор этой семьи")
    return await linking.issue_link_code(
        notifier=notifier, family_id=data.family_id, curator_id=actor
    )


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_webhook(
    request: Request,
    update: Annotated[dict[str, Any], Body()],
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, bool]:
    """Hand one Bot API update to the chat-bot (only with the registered secret)."""
    webhook: ChatBotWebhook | None = getattr(request.app.state, "chat_bot_webhook", None)
    if webhook is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "чат-бот работает без вебхука")
    if secret is None or not hmac.compare_digest(secret.encode(), webhook.secret.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "неверный секрет вебхука")
    reply: TelegramMethod[Any] | None = await webhook.dispatcher.feed_webhook_update(
        webhook.bot, update
    )
    if reply is not None:
        await webhook.bot(reply)
    return {"ok": True}
