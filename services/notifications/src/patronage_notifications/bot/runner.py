"""Run the chat-bot's long polling for the life of the service."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiogram import Bot

from ..context import Notifier
from .dialog import build_dispatcher
from .requests_client import RequestsClient

STOP_TIMEOUT_S = 5.0


@contextlib.asynccontextmanager
async def running_bot(notifier: Notifier, bot: Bot) -> AsyncIterator[None]:
    """Poll the Bot API for updates while the block runs."""
    dispatcher = build_dispatcher(
        notifier, RequestsClient(base_url=notifier.settings.requests_url, http=notifier.http)
    )
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
