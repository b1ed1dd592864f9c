"""Help requests submitted on the intake topic: created once per submitter-chosen id."""

from patronage_common.runtime import ServiceRuntime
from patronage_common.telemetry import trace_context_attached
from patronage_contracts import SubmitHelpRequest
from pymongo.errors import DuplicateKeyError

from ..help_requests.flows import new_help_request, store_new_request
from ..help_requests.models import HelpRequestCreate


async def submit_help_request(*, runtime: ServiceRuntime, command: SubmitHelpRequest) -> bool:
    """Create and route the request the command asks for; False if its id already exists.

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
            runtime=runtime, data=data, actor=command.submitted_by, request_id=command.request_id
        )
    try:
        await store_new_request(runtime=runtime, new=new)
    except DuplicateKeyError:
        return False
    return True
