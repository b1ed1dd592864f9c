"""Commands to the requests service from channels that are not a person at a form.

The chat-bot, proactive rules and bulk imports submit help requests on the intake topic;
the request id is chosen by the submitter, so a resubmitted command creates nothing twice.
"""

from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import Channel, NeedCategory, Urgency
from .envelope import Command


class SubmitHelpRequest(Command):
    """Register a help request and route it to its agencies (once per ``request_id``)."""

    type: Literal["SubmitHelpRequest"] = "SubmitHelpRequest"
    request_id: UUID = Field(description="Chosen by the submitter; a repeat is dropped")
    category: NeedCategory
    description: str = Field(min_length=3, max_length=4000, description="What the family asks")
    urgency: Urgency = Urgency.NORMAL
    channel: Channel
    submitted_by: str = Field(min_length=1, description="Who or what submits it (the actor)")
    need_id: UUID | None = Field(default=None, description="The passport need it answers")
    plan_item_id: UUID | None = Field(default=None, description="The support-plan item it serves")
    member_id: UUID | None = Field(default=None, description="The family member concerned")


INTAKE_COMMANDS: tuple[type[Command], ...] = (SubmitHelpRequest,)
