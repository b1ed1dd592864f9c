"""Run the chat-bot for the life of the service: long polling, or a registered webhook."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from patronage_common.logging import get_logger

from ..context import Notifier
from .dialog import build_dispatcher
from .requests_client import RequestsClient

log = get_logger(__name__)
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ChatBotWebhook:
    """What the webhook route needs: the conversation, the bot and the expected secret."""

    dispatcher: Dispatcher
    bot: Bot
    secret: str


def chat_bot_dispatcher(notifier: Notifier) -> Dispatcher:
    """The conversation, calling the requests service for the family."""
    return build_dispatcher(
        notifier, RequestsClient(base_url=notifier.settings.requests_url, http=notifier.http)
    )


@contextlib.asynccontextmanager
async def running_bot(notifier: Notifier, bot: Bot) -> AsyncIterator[None]:
    """Poll the Bot API for updates while the block runs."""
    dispatcher = chat_bot_dispatcher(notifier)
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=notifier.settings.telegram_polling_timeout_s,
        ),
        name="chat-bot",
    )
    try:
        yield
    finally:
        # Cancelling alone leaves aiogram's polling loop running: ask it to stop first.
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def register_webhook(notifier: Notifier, bot: Bot) -> ChatBotWebhook:
    """Tell the Bot API where to send updates (every replica may; the last call wins)."""
    settings = notifier.settings
    dispatcher = chat_bot_dispatcher(notifier)
    await bot.set_webhook(
        url=settings.telegram_webhook_url,
        secret_token=settings.telegram_webhook_secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    log.info("chat-bot webhook registered", url=settings.telegram_webhook_url)
    # The webhook stays registered when a replica stops: the others still serve it.
    return ChatBotWebhook(dispatcher=dispatcher, bot=bot, secret=settings.telegram_webhook_secret)
