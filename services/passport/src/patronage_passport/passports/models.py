"""API models of the social passport: what a curator enters and what the API returns.

Field checks live here; checks across fields and sections (a child younger than its
parent, categories backed by the facts) live in ``validation.py``.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from patronage_contracts import BeneficiaryCategory, NeedCategory
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from .enums import (
    ConsentScope,
    MeasureStatus,
    NeedStatus,
    PlanItemStatus,
    Relation,
    ServiceKind,
    ServicemanStatus,
)
from .phones import normalize_phone
from .snils import normalize_snils


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("дата не может быть в будущем")
    return value


PastDate = Annotated[date, AfterValidator(_not_in_future)]
Phone = Annotated[str, AfterValidator(normalize_phone)]
Snils = Annotated[str, AfterValidator(normalize_snils)]
FullName = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^\d<>{}]+$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class Section(BaseModel):
    """Base of every section: strict about unknown fields, trims text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ServicemanStatusEntry(Section):
    """One dated status of the serviceman."""

    status: ServicemanStatus
    since: PastDate
    note: str | None = Field(default=None, max_length=2000, description="Чувствительные сведения")


class Serviceman(Section):
    """The family's serviceman (участник СВО)."""

    full_name: FullName
    birth_date: PastDate
    service_kind: ServiceKind
    status: ServicemanStatus = ServicemanStatus.SERVING
    status_since: PastDate | None = None
    status_note: str | None = Field(default=None, max_length=2000)
    status_history: list[ServicemanStatusEntry] = Field(default_factory=list)


class School(Section):
    """A pupil's school."""

    school: Annotated[str, Field(min_length=1, max_length=300)]
    grade: int = Field(ge=1, le=11, description="Класс, 1–11")


class Preschool(Section):
    """A preschool child's kindergarten situation."""

    kindergarten: str | None = Field(default=None, max_length=300, description="Текущий сад")
    wanted_kindergarten: str | None = Field(default=None, max_length=300)
    needs_place: bool = Field(default=False, description="Нужно место в детском саду")


class Disability(Section):
    """Disability of a member."""

    group: Literal["1", "2", "3", "child"]
    notes: str | None = Field(default=None, max_length=2000, description="Чувствительные сведения")


class Pregnancy(Section):
    """A pregnancy in the family."""

    expected_date: date


class Member(Section):
    """A family member and the facts that drive the family's needs."""

    member_id: UUID = Field(default_factory=uuid4)
    relation: Relation
    full_name: FullName
    birth_date: PastDate
    snils: Snils | None = None
    school: School | None = None
    preschool: Preschool | None = None
    disability: Disability | None = None
    pregnancy: Pregnancy | None = None
    employed: bool | None = Field(default=None, description="Работает ли (для взрослых)")
    lives_alone: bool = Field(default=False, description="Пожилой родственник живёт один")


class Contacts(Section):
    """How to reach the family."""

    phones: list[Phone] = Field(min_length=1, max_length=5)
    telegram: str | None = Field(default=None, pattern=r"^@?[A-Za-z0-9_]{5,32}$")
    email: EmailStr | None = None
    preferred_channel: Literal["phone", "telegram", "email", "sms"] = "phone"
    consent_to_contact: bool = True

    @field_validator("phones")
    @classmethod
    def _unique(cls, phones: list[str]) -> list[str]:
        return list(dict.fromkeys(phones))


class Address(Section):
    """Where the family lives: the district decides scoping and routing."""

    district: Annotated[str, Field(min_length=1, max_length=100)]
    hq: Annotated[str, Field(min_length=1, max_length=100, description="Муниципальный штаб")]
    locality: Annotated[str, Field(min_length=1, max_length=200)]
    street: str | None = Field(default=None, max_length=200)
    house: str | None = Field(default=None, max_length=20)
    apartment: str | None = Field(default=None, max_length=20)


class Consent(Section):
    """Consent to personal-data processing (152-FZ): no passport without it."""

    scope: list[ConsentScope] = Field(min_length=1)
    given_on: PastDate
    recorded_by: str | None = Field(default=None, max_length=100)

    @field_validator("scope")
    @classmethod
    def _personal_data_required(cls, scope: list[ConsentScope]) -> list[ConsentScope]:
        if ConsentScope.PERSONAL_DATA not in scope:
            raise ValueError("без согласия на обработку персональных данных паспорт не ведётся")
        return list(dict.fromkeys(scope))


class ConsentWithdrawalRecord(BaseModel):
    """A recorded withdrawal of consent."""

    scope: list[ConsentScope]
    reason: str | None
    recorded_by: str
    at: datetime


class ConsentRead(Consent):
    """Consent as the API returns it, with its withdrawal if any."""

    withdrawn: ConsentWithdrawalRecord | None = None


class NeedIn(Section):
    """A need recorded in the needs assessment."""

    category: NeedCategory
    notes: str | None = Field(default=None, max_length=4000)
    member_id: UUID | None = None


class NeedUpdate(Section):
    """A change of a need's status or notes."""

    status: NeedStatus
    notes: str | None = Field(default=None, max_length=4000)


class Need(NeedIn):
    """A need with its assessment trail."""

    need_id: UUID
    status: NeedStatus
    assessed_by: str
    assessed_at: datetime
    updated_at: datetime


class PassportCreate(Section):
    """Everything a curator enters to register a family."""

    categories: list[BeneficiaryCategory] = Field(min_length=1)
    serviceman: Serviceman | None = None
    members: list[Member] = Field(min_length=1, max_length=30)
    contacts: Contacts
    address: Address
    consent: Consent
    curator_id: str | None = Field(default=None, max_length=100)
    needs: list[NeedIn] = Field(default_factory=list)

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, value: list[BeneficiaryCategory]) -> list[BeneficiaryCategory]:
        return list(dict.fromkeys(value))


SECTION_MODELS: dict[str, type[BaseModel]] = {
    "serviceman": Serviceman,
    "contacts": Contacts,
    "address": Address,
}
"""Sections replaced whole by ``PUT /passports/{id}/<section>``."""


class MembersUpdate(Section):
    """The full list of members (replaces the section)."""

    members: list[Member] = Field(min_length=1, max_length=30)


class CategoriesUpdate(Section):
    """The family's beneficiary categories (replaces the section)."""

    categories: list[BeneficiaryCategory] = Field(min_length=1)


class ServicemanStatusChange(Section):
    """A new status of the serviceman."""

    status: ServicemanStatus
    since: PastDate
    note: str | None = Field(default=None, max_length=2000)


class ConsentWithdrawal(Section):
    """The family withdraws (part of) its consent."""

    scope: list[ConsentScope] = Field(min_length=1)
    reason: str | None = Field(default=None, max_length=1000)


class CuratorAssignment(Section):
    """Make another curator the family's one active curator."""

    curator_id: Annotated[str, Field(min_length=1, max_length=100)]
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class CuratorRecord(BaseModel):
    """One period of a curator's responsibility for the family."""

    curator_id: str
    assigned_at: datetime
    assigned_by: str
    reason: str
    until: datetime | None = None


class MeasureAssignment(Section):
    """Assign a catalogue measure (to a member, if the measure is per member)."""

    measure_code: Annotated[str, Field(min_length=1, max_length=100)]
    member_id: UUID | None = None
    notes: str | None = Field(default=None, max_length=2000)


class AssignedMeasure(BaseModel):
    """A measure assigned to the family."""

    assignment_id: UUID
    measure_code: str
    member_id: UUID | None
    agency: str
    status: MeasureStatus
    assigned_by: str
    assigned_at: datetime
    provided_at: datetime | None = None
    notes: str | None = None


class PlanItemIn(Section):
    """A new item of the interdepartmental support plan."""

    title: Annotated[str, Field(min_length=3, max_length=500)]
    agency: str
    deadline: date
    need_id: UUID | None = None
    measure_code: str | None = None
    notes: str | None = Field(default=None, max_length=2000)


class PlanItemUpdate(Section):
    """A change of a plan item's status or notes."""

    status: PlanItemStatus
    notes: str | None = Field(default=None, max_length=2000)
    request_ids: list[UUID] = Field(default_factory=list)


class PlanItem(PlanItemIn):
    """A plan item as stored."""

    plan_item_id: UUID
    status: PlanItemStatus
    request_ids: list[UUID] = Field(default_factory=list)
    created_by: str
    created_at: datetime
    updated_at: datetime


class PlanReview(Section):
    """When the plan is next reviewed."""

    review_date: date


class Passport(BaseModel):
    """A passport as the API returns it."""

    family_id: UUID
    version: int
    categories: list[BeneficiaryCategory]
    serviceman: Serviceman | None
    members: list[Member]
    contacts: Contacts | None
    address: Address
    consent: ConsentRead
    restricted_scopes: list[ConsentScope] = Field(default_factory=list)
    curator_id: str | None
    curator_history: list[CuratorRecord] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    measures: list[AssignedMeasure] = Field(default_factory=list)
    plan_items: list[PlanItem] = Field(default_factory=list)
    plan_review_date: date | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class PassportSummary(BaseModel):
    """A line of a search result."""

    family_id: UUID
    applicant_full_name: str
    phone: str | None
    district: str
    hq: str
    curator_id: str | None
    categories: list[BeneficiaryCategory]
    open_needs: list[NeedCategory]


class SearchPage(BaseModel):
    """One page of passports, sorted by the applicant's name."""

    items: list[PassportSummary]
    next_cursor: str | None = Field(description="Передайте в after= за следующей страницей")
    total: int | None = Field(description="Всего найдено (для поиска по одному условию)")


class FieldChange(BaseModel):
    """One field a version changed, with its value before and after."""

    path: str = Field(description="Поле: contacts.phones, members[<member_id>].full_name, …")
    kind: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None
    hidden: bool = Field(default=False, description="Значения скрыты: согласие отозвано")


class HistoryEntry(BaseModel):
    """One immutable version of a passport."""

    version: int
    changed_at: datetime
    changed_by: str
    sections: list[str]
    changes: list[FieldChange] = Field(default_factory=list)
