"""API models of the social passport."""

from datetime import datetime
from uuid import UUID

from patronage_contracts import BeneficiaryCategory
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .phones import normalize_phone


class PassportCreate(BaseModel):
    """What a curator enters to register a family (the minimal passport)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    applicant_full_name: str = Field(min_length=3, max_length=200, description="ФИО заявителя")
    phone: str = Field(description="Телефон, нормализуется к +7XXXXXXXXXX")
    district: str = Field(min_length=1, max_length=100, description="Муниципальный район")
    hq: str = Field(min_length=1, max_length=100, description="Муниципальный штаб")
    categories: list[BeneficiaryCategory] = Field(min_length=1)
    curator_id: str | None = Field(default=None, max_length=100)
    consent_given: bool = Field(description="Согласие на обработку персональных данных")

    @field_validator("phone")
    @classmethod
    def _normalize_phone(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("consent_given")
    @classmethod
    def _consent_required(cls, value: bool) -> bool:
        if not value:
            raise ValueError("без согласия на обработку персональных данных паспорт не создаётся")
        return value


class PassportRead(BaseModel):
    """A passport as the API returns it."""

    family_id: UUID
    applicant_full_name: str
    phone: str
    district: str
    hq: str
    categories: list[BeneficiaryCategory]
    curator_id: str | None
    version: int
    created_at: datetime
    created_by: str
