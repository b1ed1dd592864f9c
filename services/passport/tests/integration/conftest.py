"""The passport service served on a real port, against the test's own Kafka topics and database."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from patronage_common.testing import free_port, serve
from patronage_passport.main import create_app
from patronage_passport.settings import PassportSettings


@pytest.fixture
async def api(
    make_settings: Callable[..., Any],
) -> AsyncIterator[tuple[httpx.AsyncClient, PassportSettings]]:
    """An HTTP client of a running passport service (acting as curator-1), and its settings."""
    port = free_port()
    settings: PassportSettings = make_settings(PassportSettings, http_port=port)
    async with serve(create_app(settings), port) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers["X-Actor"] = "curator-1"
        yield client, settings
