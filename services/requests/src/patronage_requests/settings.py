"""Requests service settings (from the environment)."""

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from patronage_common.settings import READ_PATH_GC_YOUNG_THRESHOLD, ServiceSettings
from pydantic import Field, field_validator, model_validator


class RequestsSettings(ServiceSettings):
    """Settings of the requests service."""

    service_name: str = "requests"
    http_port: int = 8002
    gc_young_threshold: int = Field(default=READ_PATH_GC_YOUNG_THRESHOLD, ge=0)
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
    sla_policy_file: Path | None = Field(
        default=None, description="SLA table (YAML); the packaged sla_policy.yaml if unset"
    )
    sla_calendar_file: Path | None = Field(
        default=None, description="Production calendar (YAML); the packaged one if unset"
    )
    sla_time_zone: str = Field(default="Europe/Moscow", description="The region's time zone")
    sla_workday_start: time = time(9)
    sla_workday_end: time = time(18)
    sla_shortened_pre_holiday: bool = Field(
        default=True, description="Pre-holiday working days end an hour early (Labour Code 95)"
    )
    sla_escalation_grace_hours: float = Field(
        default=4.0, gt=0, description="Untouched time after a breach before each escalation"
    )
    sla_scan_interval_s: float = Field(default=30.0, gt=0)
    sla_lag_rechecks: int = Field(
        default=10,
        ge=0,
        description=(
            "Scans a due request may wait for the status events its clocks have not seen; "
            "then the clocks catch up from the request's own document"
        ),
    )

    @model_validator(mode="after")
    def _sla_time_zone_exists(self) -> Self:
        try:
            ZoneInfo(self.sla_time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"SLA_TIME_ZONE={self.sla_time_zone!r} is not a known time zone "
                "(use an IANA name such as Europe/Moscow or Asia/Irkutsk)"
            ) from exc
        if self.sla_workday_end <= self.sla_workday_start:
            raise ValueError("SLA_WORKDAY_END must come after SLA_WORKDAY_START")
        return self

    intake_batch_max_records: int = Field(
        default=150,
        ge=1,
        le=500,
        # A batch is created in groups of up to 50 (one group commit each), at most two
        # committed at a time (``GroupCommit``): with three groups a batch, one group's
        # requests are built while the store writes another's. Intake of 10,000 alternated
        # with 50 (bench/README.md, session 15): 23-27 % more routed per second in each of
        # three pairs (870, 699, 606 against 682, 551, 491/s), paced 200/s p99 no worse (a
        # paced batch holds what came meanwhile, far below the limit); at full speed a
        # request waits for its batch (created->agency p50 96-139 against 48-67 ms). Two
        # groups in flight also keep stock FerretDB 1.24 answering: ten at once took its
        # whole connection pool.
        description="Most intake commands handled in one batch (groups of up to 50)",
    )
    intake_batch_timeout_ms: int = Field(
        default=100, ge=0, description="Longest wait for an intake batch when idle"
    )
    family_cache_ttl_s: float = Field(
        default=1.0,
        ge=0,
        description="How long an intake batch may use a family snapshot read for an earlier "
        "one (a change through another replica is seen after at most this; 0: always read)",
    )
    projections_busy_pause_ratio: float = Field(
        default=4.0,
        ge=0,
        description="While the service routes intake or answers HTTP requests, its read "
        "models pause up to this many times as long as each batch took them (0: never)",
    )
    projections_max_lag_s: float = Field(
        default=15.0,
        ge=0,
        # The pause shrinks as the read models fall behind (to none at this lag), so under a
        # steady stream they settle where their share keeps up. 60 s at 200/s
        # (bench/requests.py --paced-seconds 60, session 17): 1,953 events behind at the end
        # with 15, 9,283 with 30, 13,130 with a fixed ratio up to 30 (0 unpaced).
        description="How far behind (s) the read models may fall while they give way to the "
        "routing: the further behind, the shorter their pauses; none from this lag on",
    )
    list_lines_fold_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="How often request list line changes are folded into their day buckets",
    )
    family_links_fold_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="How often new requests' family links are folded into the family indexes",
    )

    specialists_file: Path | None = Field(
        default=None, description="A region's specialists, offices and schedules (YAML)"
    )
    dispatch_timezone: str = Field(
        default="Europe/Moscow", description="Time zone of schedules and of the call log's days"
    )
    reminder_offsets_min: tuple[int, ...] = Field(
        default=(24 * 60, 2 * 60), description="Remind families this many minutes before"
    )
    reminder_interval_s: float = Field(default=30.0, gt=0)
    booking_horizon_days: int = Field(default=60, ge=1)

    @field_validator("dispatch_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"DISPATCH_TIMEZONE={value!r} is not an IANA time zone (e.g. Europe/Moscow)"
            ) from exc
        return value

    @field_validator("reminder_offsets_min")
    @classmethod
    def _positive_offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(offset < 1 for offset in value):
            raise ValueError("REMINDER_OFFSETS_MIN must list whole minutes above zero")
        return tuple(sorted(set(value), reverse=True))

    @property
    def timezone(self) -> ZoneInfo:
        """Time zone of schedules and call-log days."""
        return ZoneInfo(self.dispatch_timezone)


@lru_cache
def get_settings() -> RequestsSettings:
    """Settings read once from the environment."""
    return RequestsSettings()
