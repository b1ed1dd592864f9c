"""The passport and requests services served on real ports, against the test's own Kafka
topics and databases. A module changes their settings by overriding ``shared_settings``
(both services) or ``requests_settings`` (the requests service alone)."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from patronage_common.testing import free_port, serve
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings


@pytest.fixture
def shared_settings() -> dict[str, Any]:
    """Settings both services get beyond the test defaults."""
    return {}


@pytest.fixture
def requests_settings() -> dict[str, Any]:
    """Settings the requests service gets beyond the test defaults."""
    return {}


@pytest.fixture
async def services(
    make_settings: Callable[..., Any],
    shared_settings: dict[str, Any],
    requests_settings: dict[str, Any],
) -> AsyncIterator[dict[str, Any]]:
    """HTTP clients of both services (``passport``, ``requests``) and the requests
    service's ``settings``."""
    passport_port, requests_port = free_port(), free_port()
    passport = make_settings(PassportSettings, http_port=passport_port, **shared_settings)
    requests = make_settings(
        RequestsSettings,
        http_port=requests_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
        **shared_settings,
        **requests_settings,
    )
    async with (
        serve(create_passport(passport), passport_port) as passport_url,
        serve(create_requests(requests), requests_port) as requests_url,
        httpx.AsyncClient(base_url=passport_url) as passport_client,
        httpx.AsyncClient(base_url=requests_url) as requests_client,
    ):
        yield {"passport": passport_client, "requests": requests_client, "settings": requests}
