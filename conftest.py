"""Shared fixtures: the resolved infrastructure and per-test service settings."""

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from patronage_common.settings import ServiceSettings

pytest_plugins = ["patronage_devinfra.pytest_plugin"]

S = TypeVar("S", bound=ServiceSettings)


@pytest.fixture
def make_settings(infrastructure: Any, unique_prefix: str) -> Callable[..., Any]:
    """Build a service's settings on the test's own topic prefix and databases."""

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
        return cls(**fields)

    return make
