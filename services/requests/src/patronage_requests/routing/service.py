"""Route a help request's category (and district) to the responsible agencies."""

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml
from patronage_contracts import Agency, NeedCategory
from pydantic import BaseModel, ConfigDict


class RoutingTable(BaseModel):
    """Reference data: category → agencies, with per-district overrides."""

    model_config = ConfigDict(frozen=True)

    default: dict[NeedCategory, tuple[Agency, ...]]
    districts: dict[str, dict[NeedCategory, tuple[Agency, ...]]] = {}


@dataclass(frozen=True)
class Router:
    """Answers which agencies a request goes to."""

    table: RoutingTable

    def agencies_for(self, category: NeedCategory, district: str | None) -> tuple[Agency, ...]:
        """Agencies responsible for ``category`` in ``district``."""
        override = self.table.districts.get(district or "", {})
        agencies = override.get(category) or self.table.default.get(category)
        if not agencies:
            raise LookupError(f"no agency is responsible for category {category.value}")
        return agencies


def load_router(path: Path | None = None) -> Router:
    """The routing table from ``path`` or the packaged default."""
    text = (
        path.read_text("utf-8")
        if path
        else (files(__package__) / "routing.yaml").read_text("utf-8")
    )
    return Router(RoutingTable.model_validate(yaml.safe_load(text)))
