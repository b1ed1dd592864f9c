"""Shared fixtures: the resolved infrastructure and per-test service settings."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from patronage_common.settings import ServiceSettings
from pymongo import AsyncMongoClient

pytest_plugins = ["patronage_devinfra.pytest_plugin"]

S = TypeVar("S", bound=ServiceSettings)


@pytest.fixture
async def make_settings(
    infrastructure: Any, unique_prefix: str
) -> AsyncIterator[Callable[..., Any]]:
    """Build a service's settings on the test's own topic prefix and databases.

    Afterwards the test's topics and databases are deleted: a broker holds files open for
    every partition, and a suite of hundreds of tests would otherwise run it out of them.
    """

    made: set[str] = set()

    def make(cls: type[S], **overrides: Any) -> S:
        service = cls.model_fields["service_name"].default
        fields: dict[str, Any] = {
            "kafka_bootstrap_servers": infrastructure.kafka_bootstrap_servers,
            "mongodb_url": infrastructure.mongodb_url,
            "mongodb_database": f"t{unique_prefix}_{service}",
            "topic_prefix": f"t{unique_prefix}.",
            "environment": "test",
            "outbox_relay_interval_s": 0.5,
            "log_json": False,
        }
        fields.update(overrides)
        settings = cls(**fields)
        made.add(settings.database_name)
        return settings

    yield make
    await _delete_test_data(infrastructure, f"t{unique_prefix}", made)


async def _delete_test_data(infrastructure: Any, prefix: str, databases: set[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
    client: AsyncMongoClient[Any] = AsyncMongoClient(infrastructure.mongodb_url)
    try:
        # The databases the test was given are dropped by name; listing databases is only a
        # sweep for ones a test derived from them (e.g. a rebuild's copy), and is bounded in
        # time: on a long-lived store with hundreds of databases it can take very long.
        for name in sorted(databases):
            await client.drop_database(name)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                for name in await client.list_database_names():
                    if name.startswith(f"{prefix}_") and name not in databases:
                        await client.drop_database(name)
    finally:
        await client.close()
