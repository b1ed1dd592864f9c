"""HTTP routes of support measures: the catalogue, eligibility, assignment."""

from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from patronage_common.access import CallerDep
from patronage_common.runtime import RuntimeDep, ServiceRuntime
from patronage_contracts import utc_now

from ..passports import changes
from ..passports.api import change_as, read_as
from ..passports.documents import Document
from ..passports.models import MeasureAssignment, Member, Passport, Serviceman
from ..settings import PassportSettings
from .catalogue import Catalogue, load_catalogue
from .eligibility import eligible_measures
from .models import EligibleMeasure, Measure

router = APIRouter(tags=["measures"])


@lru_cache
def _catalogue(path: Path | None) -> Catalogue:
    return load_catalogue(path)


def catalogue_of(runtime: ServiceRuntime) -> Catalogue:
    """The region's catalogue (MEASURES_CATALOGUE_FILE) or the packaged one."""
    settings = runtime.settings
    assert isinstance(settings, PassportSettings)
    return _catalogue(settings.measures_catalogue_file)


@router.get("/measures", response_model=list[Measure])
async def list_measures(runtime: RuntimeDep) -> list[Measure]:
    """The support-measures catalogue."""
    return list(catalogue_of(runtime).measures)


@router.get("/passports/{family_id}/eligible-measures", response_model=list[EligibleMeasure])
async def family_eligible_measures(
    family_id: UUID, runtime: RuntimeDep, who: CallerDep
) -> list[EligibleMeasure]:
    """Measures the family is eligible for, each with the rule and member that make it so."""
    return eligible_for(runtime, await read_as(runtime, family_id, who))


def eligible_for(runtime: ServiceRuntime, document: Document) -> list[EligibleMeasure]:
    """Measures of the region's catalogue a decrypted passport makes the family eligible for."""
    return eligible_measures(
        catalogue_of(runtime),
        categories=document["categories"],
        serviceman=Serviceman.model_validate(document["serviceman"])
        if document.get("serviceman")
        else None,
        members=[Member.model_validate(m) for m in document["members"]],
        today=utc_now().date(),
    )


@router.post(
    "/passports/{family_id}/measures", response_model=Passport, status_code=status.HTTP_201_CREATED
)
async def assign_measure(
    family_id: UUID, data: MeasureAssignment, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Assign a catalogue measure to the family or a member."""
    catalogue = catalogue_of(runtime)
    if data.measure_code not in catalogue:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "measure_code"],
                    "msg": "нет такой меры в каталоге",
                    "type": "value_error",
                }
            ],
        )
    change = changes.assign_measure(catalogue.get(data.measure_code), data, uuid4())
    return await change_as(runtime, family_id, who, ["measures"], change)


@router.post("/passports/{family_id}/measures/{assignment_id}/provided", response_model=Passport)
async def measure_provided(
    family_id: UUID, assignment_id: UUID, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Record that an assigned measure was provided."""
    return await change_as(
        runtime, family_id, who, ["measures"], changes.provide_measure(assignment_id)
    )
