"""Reporting service settings (from the environment)."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from patronage_common.settings import ServiceSettings
from pydantic import Field


class ReportingSettings(ServiceSettings):
    """Settings of the reporting service."""

    service_name: str = "reporting"
    http_port: int = 8004
    report_timezone: str = Field(
        default="Europe/Moscow", description="Time zone of the region's calendar days"
    )
    replay_batch_size: int = Field(
        default=20000, ge=100, description="Events the replay reads from Kafka at a time"
    )
    replay_flush_events: int = Field(
        default=250_000,
        ge=1,
        description="The replay writes the states changed in this many events at a time, "
        "behind the fold",
    )
    replay_figure_flush_events: int = Field(
        default=10_000_000,
        ge=1,
        description="The replay keeps the figures in memory for this many events before it writes "
        "them: a figure document written before must then be updated, and an update costs "
        "FerretDB ~20 times an insert",
    )

    @property
    def zone(self) -> ZoneInfo:
        """The region's time zone."""
        return ZoneInfo(self.report_timezone)


@lru_cache
def get_settings() -> ReportingSettings:
    """Settings read once from the environment."""
    return ReportingSettings()
