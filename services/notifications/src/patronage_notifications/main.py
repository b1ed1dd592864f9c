"""Entry point of the notifications service: ``python -m patronage_notifications``."""

import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service
from patronage_common.identity import ServiceIdentityAuth
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Message, NotificationChannel

from .bot.api import router as bot_api
from .bot.runner import register_webhook, running_bot
from .clock import Clock, system_clock
from .contacts.handlers import router as contact_events
from .context import NOTIFIER_CONTEXT_KEY, Notifier
from .delivery.api import router as delivery_api
from .delivery.channels import Channel
from .delivery.email import EmailChannel
from .delivery.live import InAppChannel, LiveHub, running_live_feed
from .delivery.scheduler import running_scheduler
from .delivery.sms import SmsChannel
from .delivery.telegram import TelegramChannel, create_bot
from .notifications.api import router as notifications_api
from .notifications.handlers import kafka_router as decision_router
from .notifications.rules import load_rulebook
from .notifications.templates import TemplateMissingError, Templates
from .settings import NotificationsSettings, get_settings


def configured_channels(
    settings: NotificationsSettings, notifier: Notifier
) -> dict[NotificationChannel, Channel]:
    """The channels the settings enable (in-app always)."""

    async def publish(message: Message) -> None:
        await (await notifier.bus.send(message))

    channels: dict[NotificationChannel, Channel] = {
        NotificationChannel.IN_APP: InAppChannel(publish)
    }
    if settings.telegram_bot_token:
        bot = create_bot(
            token=settings.telegram_bot_token,
            api_url=settings.telegram_api_url,
            timeout_s=settings.channel_timeout_s,
        )
        channels[NotificationChannel.TELEGRAM] = TelegramChannel(bot)
    if settings.smtp_host:
        channels[NotificationChannel.EMAIL] = EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout_s=settings.channel_timeout_s,
        )
    if settings.sms_gateway_url:
        channels[NotificationChannel.SMS] = SmsChannel(
            url=settings.sms_gateway_url,
            token=settings.sms_gateway_token,
            timeout_s=settings.channel_timeout_s,
        )
    return channels


def create_notifier(
    settings: NotificationsSettings,
    *,
    clock: Clock = system_clock,
    channels: Mapping[NotificationChannel, Channel] | None = None,
) -> Notifier:
    """The service's parts; refuses to start if a rule names a template nobody has."""
    rulebook = load_rulebook(settings.rules_file)
    templates = Templates(settings.templates_dir, zone=settings.region_timezone)
    missing = sorted(t for t in rulebook.templates if not templates.exists(t))
    if missing:
        raise TemplateMissingError(
            f"rules name templates that do not exist: {missing}; add <name>.j2 files to "
            "the packaged templates or to TEMPLATES_DIR"
        )
    hub = LiveHub()
    # Its calls to the passport and requests services (contacts, linking, the chat-bot's
    # requests) state the service's signed identity, so those may require identities.
    http = httpx.AsyncClient(
        timeout=10.0, auth=ServiceIdentityAuth(settings.service_name, settings.identity_secret)
    )
    notifier = Notifier(
        settings=settings, clock=clock, rulebook=rulebook, templates=templates, hub=hub, http=http
    )
    notifier.channels = (
        dict(channels) if channels is not None else configured_channels(settings, notifier)
    )
    return notifier


def create_app(
    settings: NotificationsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    *,
    clock: Clock = system_clock,
    channels: Mapping[NotificationChannel, Channel] | None = None,
) -> FastAPI:
    """The notifications service app (``clock`` and ``channels`` are for tests)."""
    settings = settings or get_settings()
    notifier = create_notifier(settings, clock=clock, channels=channels)

    async def bind(runtime: ServiceRuntime) -> None:
        notifier.bind(runtime)
        await notifier.bus.start()
        runtime.broker.context.set_global(NOTIFIER_CONTEXT_KEY, notifier)

    app = create_service_app(
        settings,
        title="Patronage — уведомления",
        kafka_routers=[contact_events.kafka_router(settings), decision_router(settings)],
        api_routers=[notifications_api, delivery_api, bot_api],
        on_startup=bind,
        tracer_provider=tracer_provider,
    )
    app.state.notifier = notifier
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            service_lifespan(app),
            running_scheduler(notifier),
            running_live_feed(notifier),
        ):
            telegram = notifier.channels.get(NotificationChannel.TELEGRAM)
            if not isinstance(telegram, TelegramChannel):
                yield
            elif settings.telegram_updates == "webhook":
                app.state.chat_bot_webhook = await register_webhook(notifier, telegram.bot)
                yield
            elif settings.telegram_polling:
                async with running_bot(notifier, telegram.bot):
                    yield
            else:
                yield
        await notifier.bus.stop()
        for channel in notifier.channels.values():
            await channel.close()
        await notifier.http.aclose()

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
