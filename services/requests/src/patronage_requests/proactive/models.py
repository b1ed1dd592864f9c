"""API models of proactive rules."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class FiringRead(BaseModel):
    """One firing of a rule: the fact it fired for and what it opened."""

    claim_id: str = Field(description="proactive:<правило>:<факт>")
    rule: str
    family_id: UUID
    fact_key: str
    fired_on: date
    fired_at: datetime
    status: Literal["pending", "done", "failed"] = Field(
        description="pending — действия ещё выполняются; failed — семья не найдена"
    )
    request_ids: list[UUID]
    curator_task_ids: list[UUID]
    error: str | None = None


def firing_to_api(claim: dict[str, Any]) -> dict[str, Any]:
    """API shape of a stored claim."""
    actions = claim["actions"]
    return {
        "claim_id": claim["_id"],
        **{k: claim.get(k) for k in ("rule", "family_id", "fact_key", "fired_on", "status")},
        "fired_at": claim["fired_at"],
        "request_ids": [a["request_id"] for a in actions if a["kind"] == "request"],
        "curator_task_ids": [a["task_id"] for a in actions if a["kind"] == "curator_task"],
        "error": claim.get("error"),
    }
