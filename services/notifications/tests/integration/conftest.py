"""A served notifications service with the real passport and requests services, Kafka and
store, and local stand-ins for Telegram, SMTP and the SMS gateway."""

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.identity import ServiceIdentityAuth
from patronage_common.testing import free_port, serve
from patronage_contracts import Event, topic_of
from patronage_notifications.clock import ManualClock
from patronage_notifications.main import create_app
from patronage_notifications.settings import NotificationsSettings
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings

from services.notifications.tests.fakes import (
    FakeBotApi,
    FakeSmsGateway,
    Mailbox,
    serve_aiohttp,
    start_smtp,
)

# Midday in Moscow: outside quiet hours.
NOON_MSK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SMS_RECEIPT_SECRET = "sms-gateway-receipts"


@dataclass
class World:
    """Everything a test talks to."""

    settings: NotificationsSettings
    notifications: httpx.AsyncClient
    passport: httpx.AsyncClient
    clock: ManualClock
    bot_api: FakeBotApi
    sms: FakeSmsGateway
    mailbox: Mailbox
    producer: AIOKafkaProducer
    notifications_url: str
    requests: httpx.AsyncClient
    requests_settings: RequestsSettings

    async def publish(self, event: Event) -> None:
        """Put an event on its catalogue topic, as its producer would."""
        await self.producer.send_and_wait(
            self.settings.topic(topic_of(event)),
            event.model_dump_json().encode(),
            key=event.key,
        )


@pytest.fixture
async def world(make_settings: Callable[..., Any]) -> AsyncIterator[World]:
    passport_port, notifications_port = free_port(), free_port()
    bot_port, sms_port, smtp_port = free_port(), free_port(), free_port()
    requests_port = free_port()
    bot_api = FakeBotApi()
    sms = FakeSmsGateway(
        receipts_url=f"http://127.0.0.1:{notifications_port}/sms/receipts",
        receipts_secret=SMS_RECEIPT_SECRET,
    )
    bot_runner = await serve_aiohttp(bot_api.app, bot_port)
    sms_runner = await serve_aiohttp(sms.app, sms_port)
    smtp, mailbox = start_smtp(smtp_port)
    clock = ManualClock(NOON_MSK)
    # The requests service requires signed identities: the chat-bot's calls must state the
    # notifications service's own (the tests' own calls state the tests').
    passport_settings = make_settings(PassportSettings, http_port=passport_port)
    requests_settings = make_settings(
        RequestsSettings,
        http_port=requests_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
        identity_required=True,
    )
    tests_identity = ServiceIdentityAuth("tests", passport_settings.identity_secret)
    settings = make_settings(
        NotificationsSettings,
        http_port=notifications_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
        requests_url=f"http://127.0.0.1:{requests_port}",
        telegram_api_url=f"http://127.0.0.1:{bot_port}",
        telegram_bot_token="42:TEST-TOKEN",
        telegram_polling=True,
        telegram_polling_timeout_s=1,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        sms_gateway_url=f"http://127.0.0.1:{sms_port}",
        sms_receipt_secret=SMS_RECEIPT_SECRET,
        delivery_retry_base_s=1.0,
        schedule_bucket_s=1,
        scheduler_interval_s=0.2,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        async with (
            serve(create_passport(passport_settings), passport_port) as passport_url,
            serve(create_requests(requests_settings), requests_port) as requests_url,
            serve(create_app(settings, clock=clock), notifications_port) as url,
            httpx.AsyncClient(base_url=passport_url) as passport,
            httpx.AsyncClient(base_url=url) as notifications,
            httpx.AsyncClient(base_url=requests_url, auth=tests_identity) as requests,
        ):
            yield World(
                settings=settings,
                notifications=notifications,
                passport=passport,
                clock=clock,
                bot_api=bot_api,
                sms=sms,
                mailbox=mailbox,
                producer=producer,
                notifications_url=url,
                requests=requests,
                requests_settings=requests_settings,
            )
    finally:
        await producer.stop()
        smtp.stop()
        await bot_runner.cleanup()
        await sms_runner.cleanup()


@contextlib.asynccontextmanager
async def replica(world: World, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another replica of the notifications service: same store and topics, own process
    memory (it does not poll the Bot API unless told to)."""
    port = free_port()
    settings = NotificationsSettings.model_validate(
        {**world.settings.model_dump(), "http_port": port, "telegram_polling": False, **overrides}
    )
    async with (
        serve(create_app(settings, clock=world.clock), port) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client
