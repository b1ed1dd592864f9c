"""Pytest fixtures for the shared infrastructure; nothing starts unless a test asks for it.

Loaded automatically through the ``pytest11`` entry point of this package; a root conftest may
also name it in ``pytest_plugins``. Under pytest-xdist every worker is its own session and so
starts its own broker and store (about 1 GB of RAM per worker with local processes).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from .resolver import Infrastructure, resolve


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    """Resolve Kafka and the document store once per test session (per xdist worker)."""
    with resolve() as infra:
        yield infra


@pytest.fixture
def unique_prefix() -> str:
    """Return a short random lowercase name for per-test topics and databases."""
    return "t" + secrets.token_hex(4)
