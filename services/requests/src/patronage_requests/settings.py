"""Requests service settings (from the environment)."""

from functools import lru_cache
from pathlib import Path

from patronage_common.settings import ServiceSettings
from pydantic import Field


class RequestsSettings(ServiceSettings):
    """Settings of the requests service."""

    service_name: str = "requests"
    http_port: int = 8002
    passport_url: str = "http://127.0.0.1:8001"
    routing_file: Path | None = None
    proactive_rules_file: Path | None = Field(
        default=None, description="YAML of proactive rules instead of the packaged one"
    )
    proactive_calendar_interval_s: float = Field(
        default=900.0, gt=0, description="How often the calendar rules and retries run"
    )
    proactive_retry_after_s: float = Field(
        default=30.0, ge=0, description="Age of an unfinished firing before a retry finishes it"
    )
    proactive_timezone: str = Field(
        default="Europe/Moscow", description="Time zone of the region's calendar days"
    )


@lru_cache
def get_settings() -> RequestsSettings:
    """Settings read once from the environment."""
    return RequestsSettings()
