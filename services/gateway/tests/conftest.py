"""The gateway with the real passport, requests and reporting services, in this process.

Everything runs against the shared Kafka and store on the test's own topics and databases.
The gateway signs every call with the identity secret the passport service verifies.
"""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from patronage_common.testing import free_port, serve
from patronage_gateway.main import create_app as create_gateway
from patronage_gateway.settings import GatewaySettings
from patronage_notifications.main import create_app as create_notifications
from patronage_notifications.settings import NotificationsSettings
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_reporting.main import create_app as create_reporting
from patronage_reporting.settings import ReportingSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings

SECRET = "gateway-tests-identity-secret-0123456789"
SMS_RECEIPT_SECRET = "gateway-tests-sms-receipt-secret"
PASSWORD = "demo-pass-1"


@dataclass
class Stack:
    """URLs of the running services and the gateway's settings."""

    gateway: str
    passport: str
    requests: str
    reporting: str
    settings: GatewaySettings
    notifications: str = ""


@pytest.fixture
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    async with running_stack(make_settings, with_notifications=False) as running:
        yield running


@pytest.fixture
async def live_stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    """The stack with the notifications service too (the curators' live streams)."""
    async with running_stack(make_settings, with_notifications=True) as running:
        yield running


@asynccontextmanager
async def running_stack(
    make_settings: Callable[..., Any], *, with_notifications: bool
) -> AsyncIterator[Stack]:
    """The services and the gateway, served on free ports until the block ends."""
    names = ("gateway", "passport", "requests", "reporting", "notifications")
    ports = {name: free_port() for name in names}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {"identity_secret": SECRET}
    passport = make_settings(PassportSettings, http_port=ports["passport"], **common)
    requests = make_settings(
        RequestsSettings, http_port=ports["requests"], passport_url=urls["passport"], **common
    )
    reporting = make_settings(ReportingSettings, http_port=ports["reporting"], **common)
    gateway = make_settings(
        GatewaySettings,
        http_port=ports["gateway"],
        passport_url=urls["passport"],
        requests_url=urls["requests"],
        reporting_url=urls["reporting"],
        notifications_url=urls["notifications"],
        login_lockout_base_s=60.0,
        **common,
    )
    async with AsyncExitStack() as running:
        await running.enter_async_context(serve(create_passport(passport), ports["passport"]))
        await running.enter_async_context(serve(create_requests(requests), ports["requests"]))
        await running.enter_async_context(serve(create_reporting(reporting), ports["reporting"]))
        if with_notifications:
            # In-app only: the families' channels (Telegram, e-mail, SMS) are not configured.
            notifications = make_settings(
                NotificationsSettings,
                http_port=ports["notifications"],
                passport_url=urls["passport"],
                requests_url=urls["requests"],
                sms_receipt_secret=SMS_RECEIPT_SECRET,
                **common,
            )
            await running.enter_async_context(
                serve(create_notifications(notifications), ports["notifications"])
            )
        await running.enter_async_context(serve(create_gateway(gateway), ports["gateway"]))
        yield Stack(
            urls["gateway"],
            urls["passport"],
            urls["requests"],
            urls["reporting"],
            gateway,
            urls["notifications"] if with_notifications else "",
        )


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def login(client: httpx.AsyncClient, user: str, password: str = PASSWORD) -> httpx.Response:
    """Log in through the form as a browser would; returns the answer to the POST."""
    page = await client.get("/login")
    return await client.post(
        "/login", data={"login": user, "password": password, "csrf_token": csrf_of(page.text)}
    )


@asynccontextmanager
async def browser(stack: Stack, user: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client of the gateway, logged in as ``user`` if given."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=15) as client:
        if user:
            response = await login(client, user)
            assert response.status_code == 303, response.text
        yield client


async def api_token(stack: Stack, user: str) -> dict[str, str]:
    """Bearer headers for ``user``."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=15) as client:
        response = await client.post("/api/token", json={"login": user, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}
