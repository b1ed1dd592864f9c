"""Telegram through the Bot API (aiogram), against a configurable API server."""

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from patronage_contracts import NotificationChannel

from .channels import OutgoingMessage, PermanentDeliveryError, Receipt, TransientDeliveryError


def create_bot(*, token: str, api_url: str, timeout_s: float) -> Bot:
    """An aiogram bot talking to ``api_url`` (Telegram's own server when empty)."""
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")), timeout=timeout_s)
        if api_url
        else AiohttpSession(timeout=timeout_s)
    )
    return Bot(token=token, session=session)


class TelegramChannel:
    """Sends to a linked chat; 403 (bot blocked) and 'chat not found' are permanent."""

    kind = NotificationChannel.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Send the body as a chat message, with inline buttons if any."""
        markup = (
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=b.text, callback_data=b.data)]
                    for b in message.buttons
                ]
            )
            if message.buttons
            else None
        )
        try:
            sent = await self.bot.send_message(
                chat_id=int(message.address), text=message.body, reply_markup=markup
            )
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise PermanentDeliveryError(exc.message) from exc
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower() or "user is deactivated" in exc.message:
                raise PermanentDeliveryError(exc.message) from exc
            raise
        except TelegramUnauthorizedError:
            raise  # our token is wrong: an operator's problem, not the family's
        except Exception as exc:
            # Network errors, 5xx and 429 (TelegramRetryAfter): try again later.
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return Receipt(delivered=True, provider_id=str(sent.message_id))

    async def close(self) -> None:
        """Close the bot's HTTP session."""
        await self.bot.session.close()
