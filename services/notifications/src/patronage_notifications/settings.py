"""Notifications service settings (from the environment)."""

from datetime import time
from functools import lru_cache
from pathlib import Path

from patronage_common.settings import ServiceSettings
from pydantic import Field


class NotificationsSettings(ServiceSettings):
    """Settings of the notifications service."""

    service_name: str = "notifications"
    http_port: int = 8003
    passport_url: str = "http://127.0.0.1:8001"
    requests_url: str = Field(
        default="http://127.0.0.1:8002", description="The requests service the chat-bot calls"
    )
    rules_file: Path | None = Field(default=None, description="Rules YAML; packaged by default")
    templates_dir: Path | None = Field(
        default=None, description="A region's templates; each file overrides the packaged one"
    )
    region_timezone: str = "Europe/Moscow"
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    delivery_max_attempts: int = Field(default=5, ge=1)
    delivery_retry_base_s: float = Field(default=5.0, gt=0)
    delivery_retry_max_s: float = Field(default=900.0, gt=0)
    schedule_bucket_s: int = Field(default=10, ge=1, description="Width of a schedule bucket")
    scheduler_interval_s: float = Field(default=1.0, gt=0)
    channel_concurrency: int = Field(default=200, ge=1)
    batch_max_records: int = Field(default=1000, ge=1)
    contact_cache_ttl_s: float = Field(
        default=30.0, ge=0, description="How long a replica reuses a contact it read (0: never)"
    )
    link_code_ttl_s: int = Field(default=24 * 3600, ge=60)
    telegram_api_url: str = Field(default="", description="Bot API base URL; empty = Telegram's")
    telegram_bot_token: str = ""
    telegram_polling: bool = Field(default=False, description="Run the chat-bot (long polling)")
    telegram_polling_timeout_s: int = Field(default=10, ge=0)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "Патронаж <noreply@patronage.local>"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    channel_timeout_s: float = Field(default=10.0, gt=0)


@lru_cache
def get_settings() -> NotificationsSettings:
    """Settings read once from the environment."""
    return NotificationsSettings()
