"""Proactive rules as data: the models of ``rules.yaml`` and their loader."""

import string
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from patronage_contracts import NeedCategory, Urgency
from patronage_contracts.passport import PASSPORT_EVENTS
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PASSPORT_EVENT_TYPES = {model.model_fields["type"].default: model for model in PASSPORT_EVENTS}
ScalarValue = str | int | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventTrigger(_Strict):
    """Fires on a passport event whose fields equal ``when``."""

    event: str = Field(description="Тип события паспорта, например ServicemanStatusChanged")
    when: dict[str, ScalarValue] = Field(default_factory=dict)
    date_field: str | None = Field(default=None, description="Поле даты факта в событии")
    within_days: int | None = Field(
        default=None, ge=0, description="Факт старше стольких дней не срабатывает"
    )

    @model_validator(mode="after")
    def _known_event_and_fields(self) -> "EventTrigger":
        model = PASSPORT_EVENT_TYPES.get(self.event)
        if model is None:
            raise ValueError(f"неизвестное событие паспорта {self.event!r}")
        unknown = [f for f in (*self.when, self.date_field) if f and f not in model.model_fields]
        if unknown:
            raise ValueError(f"в событии {self.event} нет полей: {', '.join(unknown)}")
        if (self.date_field is None) != (self.within_days is None):
            raise ValueError("date_field и within_days задаются вместе")
        return self


class _Calendar(_Strict):
    window_days: int = Field(
        default=7, ge=0, description="Сколько дней после даты факт ещё срабатывает"
    )


class BirthdayTrigger(_Calendar):
    """A child reaches ``age`` (optionally: only if not in a kindergarten or school)."""

    calendar: Literal["birthday"]
    age: int = Field(ge=0, le=18)
    without_kindergarten: bool = False


class SchoolYearStartTrigger(_Calendar):
    """The school year starts (every year on ``month``/``day``) for families with pupils."""

    calendar: Literal["school_year_start"]
    month: int = Field(default=9, ge=1, le=12)
    day: int = Field(default=1, ge=1, le=28)


class ExpectedBirthTrigger(_Calendar):
    """``days_before`` the expected birth date of a pregnancy in the family."""

    calendar: Literal["expected_birth"]
    days_before: int = Field(ge=0, le=280)


class NoContactTrigger(_Calendar):
    """``days`` passed since the last contact with the family."""

    calendar: Literal["no_contact"]
    days: int = Field(ge=1, le=365)


CalendarTrigger = Annotated[
    BirthdayTrigger | SchoolYearStartTrigger | ExpectedBirthTrigger | NoContactTrigger,
    Field(discriminator="calendar"),
]

CALENDAR_VARIABLES: dict[str, frozenset[str]] = {
    "birthday": frozenset({"family_id", "member_id", "birth_date", "date"}),
    "school_year_start": frozenset({"family_id", "year", "next_year", "pupils", "date"}),
    "expected_birth": frozenset({"family_id", "member_id", "expected_date", "date"}),
    "no_contact": frozenset({"family_id", "last_contact", "date"}),
}
"""Variables each calendar trigger gives its fact key and descriptions."""


class RequestAction(_Strict):
    """Open a help request of a category (routed to its agencies as usual)."""

    request: NeedCategory
    description: str = Field(min_length=3, max_length=2000)
    urgency: Urgency = Urgency.NORMAL


class CuratorTaskAction(_Strict):
    """Give the family's curator a task (announced as CuratorTaskCreated)."""

    curator_task: str = Field(min_length=3, max_length=200, description="Что сделать")
    description: str = Field(min_length=3, max_length=2000)


Action = RequestAction | CuratorTaskAction


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Rule(_Strict):
    """One proactive rule."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,60}$")
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=3, max_length=2000)
    trigger: EventTrigger | CalendarTrigger
    fact_key: str = Field(min_length=3, description="Шаблон факта, по которому правило — один раз")
    actions: tuple[Action, ...] = Field(min_length=1)

    @property
    def variables(self) -> frozenset[str]:
        """Names the fact key and descriptions may use."""
        if isinstance(self.trigger, EventTrigger):
            return frozenset({"family_id", *PASSPORT_EVENT_TYPES[self.trigger.event].model_fields})
        return CALENDAR_VARIABLES[self.trigger.calendar]

    @model_validator(mode="after")
    def _templates_use_known_variables(self) -> "Rule":
        if "family_id" not in placeholders(self.fact_key):
            raise ValueError("fact_key должен включать {family_id}")
        for template in (self.fact_key, *(a.description for a in self.actions)):
            unknown = placeholders(template) - self.variables
            if unknown:
                raise ValueError(
                    f"шаблон {template!r} использует неизвестные поля: {', '.join(sorted(unknown))}"
                )
        return self


class RuleBook(_Strict):
    """All proactive rules of the service."""

    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_codes(self) -> "RuleBook":
        codes = [r.code for r in self.rules]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"коды правил повторяются: {', '.join(repeated)}")
        return self

    def get(self, code: str) -> Rule | None:
        """The rule called ``code``, or None."""
        return next((r for r in self.rules if r.code == code), None)

    def for_event(self, event_type: str) -> list[Rule]:
        """Rules triggered by events of ``event_type``."""
        return [
            r
            for r in self.rules
            if isinstance(r.trigger, EventTrigger) and r.trigger.event == event_type
        ]

    @property
    def calendar_rules(self) -> list[Rule]:
        """Rules triggered by dates."""
        return [r for r in self.rules if not isinstance(r.trigger, EventTrigger)]


class RulesFileError(RuntimeError):
    """The rules file is missing or invalid; the message says where and how to fix it."""


def load_rules(path: Path | None = None) -> RuleBook:
    """Rules from ``path``, or the packaged ``rules.yaml``."""
    try:
        if path is None:
            text = resources.files(__package__).joinpath("rules.yaml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
    except OSError as exc:
        raise RulesFileError(
            f"файл проактивных правил {path} не читается ({exc}); "
            "исправьте PROACTIVE_RULES_FILE или уберите его, чтобы взять правила по умолчанию"
        ) from exc
    data: Any = yaml.safe_load(text)
    try:
        return RuleBook.model_validate(data)
    except ValidationError as exc:
        raise RulesFileError(
            f"файл проактивных правил {path or 'rules.yaml'} с ошибками:\n{exc}"
        ) from exc
