"""Help requests submitted on the intake topic: created once per submitter-chosen id."""

import asyncio
from uuid import UUID

from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_common.telemetry import trace_context_attached
from patronage_contracts import SubmitHelpRequest
from pymongo.errors import DuplicateKeyError

from ..families import flows as family_flows
from ..families import service as family_service
from ..help_requests.flows import new_help_request, store_new_request
from ..help_requests.models import HelpRequestCreate
from ..settings import RequestsSettings


async def submit_help_request(
    *, runtime: ServiceRuntime, command: SubmitHelpRequest, family: Document | None = None
) -> bool:
    """Create and route the request the command asks for; False if its id already exists.

    ``family``: the family's snapshot, if the caller read it for the whole batch.

    Raises ``FamilyNotFoundError``, ``ActionInvalidError`` or ``ValidationError`` for a
    command that cannot become a request.
    """
    data = HelpRequestCreate(
        family_id=command.family_id,
        category=command.category,
        description=command.description,
        urgency=command.urgency,
        channel=command.channel,
        need_id=command.need_id,
        plan_item_id=command.plan_item_id,
        member_id=command.member_id,
    )
    with trace_context_attached(command.trace_context):
        new = await new_help_request(
            runtime=runtime,
            data=data,
            actor=command.submitted_by,
            request_id=command.request_id,
            family=family,
        )
    try:
        await store_new_request(runtime=runtime, new=new)
    except DuplicateKeyError:
        return False
    return True


async def families_of(*, runtime: ServiceRuntime, family_ids: set[UUID]) -> dict[UUID, Document]:
    """The snapshots of a batch's families, each read once, all at once (by ``_id``), or
    taken as read for an earlier batch less than ``family_cache_ttl_s`` ago.

    A family the service has not heard of, or whose details are stale, is left out: the
    command fetches it on its own.
    """
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    found = await asyncio.gather(
        *(
            family_service.get_recent_family(
                db=runtime.db, family_id=f, max_age_s=settings.family_cache_ttl_s
            )
            for f in family_ids
        )
    )
    return {
        family_id: family
        for family_id, family in zip(family_ids, found, strict=True)
        if family_flows.is_current(family, need_id=None, plan_item_id=None) and family is not None
    }
