"""SLA reference data: how long each clock may run, per category and urgency."""

from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import yaml
from patronage_contracts import NeedCategory, SlaClock, Urgency
from pydantic import BaseModel, ConfigDict, Field


class ClockTargets(BaseModel):
    """Budgets of both clocks for one category and urgency, in hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response_hours: float = Field(gt=0)
    resolution_hours: float = Field(gt=0)

    def budget(self, clock: SlaClock) -> timedelta:
        """Time ``clock`` may run."""
        hours = (
            self.first_response_hours if clock is SlaClock.FIRST_RESPONSE else self.resolution_hours
        )
        return timedelta(hours=hours)


class SlaPolicy(BaseModel):
    """The SLA table: a default per urgency and overrides per category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    warning_percent: int = Field(default=75, gt=0, lt=100)
    default: dict[Urgency, ClockTargets]
    categories: dict[NeedCategory, dict[Urgency, ClockTargets]] = {}

    def targets(self, category: NeedCategory, urgency: Urgency) -> ClockTargets:
        """Budgets of a request of ``category`` and ``urgency``."""
        targets = self.categories.get(category, {}).get(urgency) or self.default.get(urgency)
        if targets is None:
            raise LookupError(f"no SLA for {category.value} requests of urgency {urgency.value}")
        return targets


def load_policy(path: Path | None = None) -> SlaPolicy:
    """The SLA table from ``path`` or the packaged default."""
    text = (
        path.read_text("utf-8")
        if path
        else (files(__package__) / "sla_policy.yaml").read_text("utf-8")
    )
    return SlaPolicy.model_validate(yaml.safe_load(text))
