"""Unit tests: resolution rules that start nothing."""

from __future__ import annotations

import pytest
from patronage_common.ports import free_port
from patronage_devinfra import resolve
from patronage_devinfra.kafka import broker_answers
from patronage_devinfra.resolver import store_backend_from_env

pytestmark = pytest.mark.unit


def test_explicit_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://db:27017/")
    with resolve() as infra:
        assert infra.kafka_bootstrap_servers == "broker:9092"
        assert infra.mongodb_url == "mongodb://db:27017/"
        assert (infra.kind, infra.store_backend) == ("external", "external")


def test_store_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATRONAGE_STORE_BACKEND", raising=False)
    assert store_backend_from_env() == "sqlite"
    monkeypatch.setenv("PATRONAGE_STORE_BACKEND", "PostgreSQL")
    assert store_backend_from_env() == "postgresql"
    monkeypatch.setenv("PATRONAGE_STORE_BACKEND", "mysql")
    with pytest.raises(ValueError, match="PATRONAGE_STORE_BACKEND"):
        store_backend_from_env()


def test_broker_probe_on_closed_port() -> None:
    assert broker_answers("127.0.0.1", free_port(), timeout=0.5) is False


def test_unique_prefix(unique_prefix: str) -> None:
    assert unique_prefix.isalnum()
    assert unique_prefix.islower()
    assert len(unique_prefix) <= 12
