"""Models of the support-measures catalogue and of an eligibility result."""

from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from patronage_contracts import Agency, BeneficiaryCategory, NeedCategory
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..passports.enums import Relation, ServicemanStatus

Age = Annotated[int, Field(ge=0, le=150)]

FAMILY_KEYS = ("category_any", "serviceman_status_any")
"""Rule keys about the family as a whole."""

MEMBER_KEYS = (
    "relation_any",
    "age_min",
    "age_max_exclusive",
    "is_pupil",
    "needs_kindergarten",
    "employed",
    "lives_alone",
    "pregnant",
    "has_disability",
)
"""Rule keys about one member."""


class Rule(BaseModel):
    """A declarative eligibility rule: every condition that is set must hold (AND).

    Family-level keys look at the family's categories and the serviceman. Member-level keys
    look at one member: for a ``per_member`` measure the rule is evaluated for each member;
    for a family-level measure the member keys mean "some member satisfies all of them".
    Flags take only the value that is meaningful (``is_pupil: true``, ``employed: false``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    category_any: tuple[BeneficiaryCategory, ...] | None = Field(default=None, min_length=1)
    serviceman_status_any: tuple[ServicemanStatus, ...] | None = Field(default=None, min_length=1)
    relation_any: tuple[Relation, ...] | None = Field(default=None, min_length=1)
    age_min: Age | None = None
    age_max_exclusive: Age | None = None
    is_pupil: Literal[True] | None = None
    needs_kindergarten: Literal[True] | None = None
    employed: Literal[False] | None = None
    lives_alone: Literal[True] | None = None
    pregnant: Literal[True] | None = None
    has_disability: Literal[True] | None = None

    @field_validator("category_any", "serviceman_status_any", "relation_any")
    @classmethod
    def _unique(cls, value: tuple[StrEnum, ...] | None) -> tuple[StrEnum, ...] | None:
        return None if value is None else tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if all(getattr(self, key) is None for key in FAMILY_KEYS + MEMBER_KEYS):
            raise ValueError("правило пустое: укажите хотя бы одно условие")
        if (
            self.age_min is not None
            and self.age_max_exclusive is not None
            and self.age_min >= self.age_max_exclusive
        ):
            raise ValueError("age_min должен быть меньше age_max_exclusive")
        return self

    @property
    def has_member_conditions(self) -> bool:
        """Whether any member-level condition is set."""
        return any(getattr(self, key) is not None for key in MEMBER_KEYS)


class Measure(BaseModel):
    """One catalogued support measure with its eligibility rule."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", max_length=100)]
    title: Annotated[str, Field(min_length=3, max_length=300)]
    category: NeedCategory
    agency: Agency
    per_member: bool
    rule: Rule
    description: Annotated[str, Field(min_length=3, max_length=2000)]

    @model_validator(mode="after")
    def _per_member_needs_member_conditions(self) -> Self:
        # Without a member condition a per-member measure would go to every member,
        # which is almost certainly a mistake in the catalogue.
        if self.per_member and not self.rule.has_member_conditions:
            raise ValueError("мера per_member требует хотя бы одного условия о члене семьи")
        return self


class EligibleMeasure(BaseModel):
    """A measure a family (or one of its members) is eligible for, with the reasons."""

    model_config = ConfigDict(frozen=True)

    code: str
    title: str
    agency: Agency
    category: NeedCategory
    member_id: UUID | None
    member_name: str | None
    reasons: list[str]
