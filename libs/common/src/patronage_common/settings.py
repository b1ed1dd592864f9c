"""The one settings pattern: every service subclasses ``ServiceSettings``."""

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development

READ_PATH_GC_YOUNG_THRESHOLD = 20_000
"""``gc_young_threshold`` of the services on the gateway's read path (gateway, passport,
requests). Measured in ``bench/gateway.py`` (200 users): with Python's 700 each of them
collected 8-16 times per second — the young generation refilled by the objects of the
requests in flight, not by garbage — at 0.1-0.3 ms of CPU per read, and every ~1 s a
generation-1 (gateway: ~7 ms of CPU) and every ~10 s a full collection (20-30 ms of CPU,
90-380 ms of wall time on a busy machine) stopped every request in flight. At 20,000 they
collected 0-1 times in a 20 s phase; what reference counting cannot free (cycles) waits
for at most 20,000 allocations."""


class ServiceSettings(BaseSettings):
    """Settings every service reads from the environment (plain names, e.g. MONGODB_URL)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str
    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_replication_factor: int = Field(default=1, ge=1)
    mongodb_url: str = "mongodb://127.0.0.1:27017/"
    mongodb_database: str = ""
    topic_prefix: str = Field(default="", description="Prefix of every topic and group id")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    outbox_relay_interval_s: float = Field(default=2.0, gt=0)
    trace_sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded (a caller's sampled trace is always "
        "continued); lower it under load: every recorded span costs CPU",
    )
    gc_young_threshold: int = Field(
        default=0,
        ge=0,
        description="Allocations between two collections of the youngest generation "
        "(gc.set_threshold's first value; 0 keeps Python's 700)",
    )
    """See ``READ_PATH_GC_YOUNG_THRESHOLD``."""
    stall_log_ms: float = Field(
        default=0.0,
        ge=0.0,
        description="Log a warning for every event-loop stall of this many milliseconds or "
        "more, with its CPU, garbage-collection time and stack (0: not watched)",
    )
    identity_secret: str = DEVELOPMENT_SECRET
    identity_required: bool = Field(
        default=False,
        description="Refuse HTTP calls without the gateway's signed identity "
        "(X-Patronage-Identity); false keeps unsigned calls working in development and tests",
    )

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Self:
        if self.environment == "production" and self.identity_secret == DEVELOPMENT_SECRET:
            raise ValueError("IDENTITY_SECRET must be set to a real secret in production")
        return self

    @property
    def database_name(self) -> str:
        """Database of this service: MONGODB_DATABASE or ``patronage_<service>``."""
        return self.mongodb_database or f"patronage_{self.service_name}"

    def topic(self, name: str) -> str:
        """Catalogue topic name with this deployment's prefix."""
        return self.topic_prefix + name
