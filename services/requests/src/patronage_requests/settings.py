"""Requests service settings (from the environment)."""

from functools import lru_cache
from pathlib import Path

from patronage_common.settings import ServiceSettings


class RequestsSettings(ServiceSettings):
    """Settings of the requests service."""

    service_name: str = "requests"
    http_port: int = 8002
    passport_url: str = "http://127.0.0.1:8001"
    routing_file: Path | None = None


@lru_cache
def get_settings() -> RequestsSettings:
    """Settings read once from the environment."""
    return RequestsSettings()
