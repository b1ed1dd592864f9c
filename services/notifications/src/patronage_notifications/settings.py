"""Notifications service settings (from the environment)."""

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from patronage_common.settings import ServiceSettings
from pydantic import Field, model_validator

WEBHOOK_PATH = "/telegram/webhook"


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
    telegram_updates: Literal["polling", "webhook"] = Field(
        default="polling",
        description="How the chat-bot gets updates: long polling (in the one replica with "
        "TELEGRAM_POLLING) or a webhook (served by every replica)",
    )
    telegram_polling: bool = Field(default=False, description="Run the chat-bot (long polling)")
    telegram_polling_timeout_s: int = Field(default=10, ge=0)
    telegram_webhook_url: str = Field(
        default="", description=f"Public HTTPS URL that reaches this service's {WEBHOOK_PATH}"
    )
    telegram_webhook_secret: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]{0,256}$",
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token",
    )
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "Патронаж <noreply@patronage.local>"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_receipt_secret: str = Field(
        default="",
        description="Bearer secret the SMS gateway's delivery receipts must carry "
        "(empty: receipts are refused)",
    )
    channel_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _webhook_is_complete(self) -> Self:
        if self.telegram_updates == "webhook":
            missing = [
                env
                for env, value in (
                    ("TELEGRAM_BOT_TOKEN", self.telegram_bot_token),
                    ("TELEGRAM_WEBHOOK_URL", self.telegram_webhook_url),
                    ("TELEGRAM_WEBHOOK_SECRET", self.telegram_webhook_secret),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"TELEGRAM_UPDATES=webhook needs {', '.join(missing)}")
        return self


@lru_cache
def get_settings() -> NotificationsSettings:
    """Settings read once from the environment."""
    return NotificationsSettings()
