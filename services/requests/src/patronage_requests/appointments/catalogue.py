"""Reference data: specialists, their offices and weekly schedules (YAML)."""

from datetime import time
from enum import IntEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Self

import yaml
from patronage_contracts import SpecialistKind
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_RU = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


class Weekday(IntEnum):
    """Day of the week, Monday = 0 (as ``date.weekday()``)."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


def _weekday(value: object) -> object:
    if isinstance(value, str) and value.lower() in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(value.lower())
    return value


class WeeklyHours(BaseModel):
    """One weekly reception period, cut into slots of equal length."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: Annotated[Weekday, BeforeValidator(_weekday)]
    start: time
    end: time
    slot_minutes: int = Field(gt=0, le=480)

    @model_validator(mode="after")
    def _start_before_end(self) -> Self:
        if self.start >= self.end:
            raise ValueError(f"reception on {WEEKDAY_NAMES[self.weekday]} ends before it starts")
        return self


class Office(BaseModel):
    """Where the specialist receives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(min_length=3)


class Specialist(BaseModel):
    """A specialist families can be booked to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: SpecialistKind
    title: str = Field(min_length=3, description="Russian: «Психолог Орлова Е. С.»")
    office: Office
    schedule: tuple[WeeklyHours, ...] = Field(min_length=1)


class SpecialistCatalogue(BaseModel):
    """All specialists of the region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specialists: tuple[Specialist, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [s.id for s in self.specialists]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"specialist ids must be unique: {', '.join(duplicates)}")
        return self

    def get(self, specialist_id: str) -> Specialist | None:
        """The specialist with this id, or None."""
        return next((s for s in self.specialists if s.id == specialist_id), None)


def load_catalogue(path: Path | None = None) -> SpecialistCatalogue:
    """The catalogue from ``path`` or the packaged default."""
    text = (
        path.read_text("utf-8")
        if path
        else (files(__package__) / "specialists.yaml").read_text("utf-8")
    )
    return SpecialistCatalogue.model_validate(yaml.safe_load(text))
