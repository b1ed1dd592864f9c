"""Notifications service settings (from the environment)."""

from functools import lru_cache

from patronage_common.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Settings of the notifications service."""

    service_name: str = "notifications"
    http_port: int = 8003


@lru_cache
def get_settings() -> NotificationsSettings:
    """Settings read once from the environment."""
    return NotificationsSettings()
