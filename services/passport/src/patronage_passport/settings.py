"""Passport service settings (from the environment)."""

from functools import lru_cache
from pathlib import Path
from typing import Self

from patronage_common.crypto import DEVELOPMENT_KEY
from patronage_common.settings import READ_PATH_GC_YOUNG_THRESHOLD, ServiceSettings
from pydantic import Field, model_validator


class PassportSettings(ServiceSettings):
    """Settings of the passport service."""

    service_name: str = "passport"
    http_port: int = 8001
    gc_young_threshold: int = Field(default=READ_PATH_GC_YOUNG_THRESHOLD, ge=0)
    data_encryption_keys: str = DEVELOPMENT_KEY
    measures_catalogue_file: Path | None = None
    search_index_batch_max_records: int = Field(
        default=100,
        ge=1,
        le=500,
        description="Most passport events the search indexer takes at once (one index write)",
    )
    search_index_batch_timeout_ms: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="How long the search indexer waits to fill a batch (the index's delay)",
    )
    search_index_busy_pause_ratio: float = Field(
        default=4.0,
        ge=0,
        le=100,
        # At 100k passports a family's index writes cost FerretDB 20-25 ms of CPU, more than
        # its create: an indexer at full speed behind a stream of creates doubled their p99.
        # bench/passports.py at 100k on SQLite (bench/README.md, session 16): create p99
        # 51.1, 50.0 ms unpaced; 35.3, 43.0, 35.4 at 2; 29.7, 29.4 at 4, the index caught up
        # 13 s after the 500 creates either way (6.5-7.7 s unpaced): it then runs at full speed.
        description=(
            "While the service answers HTTP requests, the search indexer pauses this many "
            "times as long as each of its writes took (0: never pauses)"
        ),
    )

    @model_validator(mode="after")
    def _real_keys_in_production(self) -> Self:
        if self.environment == "production" and DEVELOPMENT_KEY in self.data_encryption_keys:
            raise ValueError("DATA_ENCRYPTION_KEYS must hold real Fernet keys in production")
        return self


@lru_cache
def get_settings() -> PassportSettings:
    """Settings read once from the environment."""
    return PassportSettings()
