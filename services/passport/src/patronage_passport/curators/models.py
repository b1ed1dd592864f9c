"""API models of curators."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class CuratorIn(BaseModel):
    """A curator to register."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    curator_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.-]+$")]
    full_name: Annotated[str, Field(min_length=3, max_length=200)]
    district: Annotated[str, Field(min_length=1, max_length=100)]
    phone: str | None = Field(default=None, max_length=30)


class Curator(CuratorIn):
    """A registered curator."""

    active: bool = True


class Workload(BaseModel):
    """How loaded a curator is."""

    curator_id: str
    families: int
    open_needs: int
    overdue_plan_items: int
    family_ids: list[str]
