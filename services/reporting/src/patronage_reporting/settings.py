"""Reporting service settings (from the environment)."""

from functools import lru_cache

from patronage_common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Settings of the reporting service."""

    service_name: str = "reporting"
    http_port: int = 8004


@lru_cache
def get_settings() -> ReportingSettings:
    """Settings read once from the environment."""
    return ReportingSettings()
