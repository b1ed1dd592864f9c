"""Passport service settings (from the environment)."""

from functools import lru_cache

from patronage_common.settings import ServiceSettings


class PassportSettings(ServiceSettings):
    """Settings of the passport service."""

    service_name: str = "passport"
    http_port: int = 8001


@lru_cache
def get_settings() -> PassportSettings:
    """Settings read once from the environment."""
    return PassportSettings()
