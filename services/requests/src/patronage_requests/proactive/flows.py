"""Proactive use cases: keep family facts and day buckets, fire rules once per fact.

A firing is claimed by inserting ``proactive:<rule>:<fact>`` (only one insert may win),
then its actions are done one by one, each marked done in the claim. Before the claim,
the firing is marked unfinished; the mark goes when the last action is done. A crash in
between leaves the mark, and the next sweep (or the redelivered event, or the calendar
day run again) finishes the claim. Request ids come from the claim, so a request opened
just before a crash is not opened again.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from patronage_common.app import BackgroundTask
from patronage_common.locks import locked
from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_common.telemetry import current_trace_context
from patronage_contracts import (
    Channel,
    CuratorTaskCreated,
    Event,
    NeedCategory,
    PassportRegistered,
    PassportUpdated,
    RequestCreated,
    Urgency,
    utc_now,
)
from pymongo.errors import DuplicateKeyError

from ..families import service as families
from ..families.flows import FamilyNotFoundError, family_for_request
from ..help_requests.flows import create_help_request
from ..help_requests.models import HelpRequestCreate
from ..settings import RequestsSettings
from . import evaluation, service
from .engine import ProactiveEngine
from .rules import EventTrigger, NoContactTrigger, Rule

log = get_logger(__name__)

FACT_SECTIONS = frozenset({"members", "consent", "categories"})
"""Passport sections whose change can change the facts the rules look at."""

MAX_CATCH_UP_DAYS = 62
"""How many missed days a calendar run makes up for (the service was down, say)."""


async def on_passport_event(
    *, runtime: ServiceRuntime, engine: ProactiveEngine, event: Event
) -> None:
    """A passport event: a contact with the family, maybe new facts, maybe a rule's trigger."""
    family_id = str(event.family_id)
    await service.record_contact(
        db=runtime.db, family_id=family_id, day=engine.day_of(event.occurred_at)
    )
    stored = await service.get_facts(db=runtime.db, family_id=family_id)
    if isinstance(event, PassportRegistered) or (
        isinstance(event, PassportUpdated)
        and (FACT_SECTIONS & set(event.sections) or "members" not in (stored or {}))
    ):
        await refresh_facts(runtime=runtime, engine=engine, family_id=family_id)
    else:
        await apply_calendar_rules(
            runtime=runtime, engine=engine, family_id=family_id, rules=_contact_rules(engine)
        )
    await apply_event_rules(runtime=runtime, engine=engine, event=event)


async def on_request_created(
    *, runtime: ServiceRuntime, engine: ProactiveEngine, event: RequestCreated
) -> None:
    """A curator registering a request for the family is a contact with it."""
    if event.channel != Channel.CURATOR:
        return
    family_id = str(event.family_id)
    await service.record_contact(
        db=runtime.db, family_id=family_id, day=engine.day_of(event.occurred_at)
    )
    await apply_calendar_rules(
        runtime=runtime, engine=engine, family_id=family_id, rules=_contact_rules(engine)
    )


def _contact_rules(engine: ProactiveEngine) -> list[Rule]:
    return [r for r in engine.rules.calendar_rules if isinstance(r.trigger, NoContactTrigger)]


async def refresh_facts(
    *, runtime: ServiceRuntime, engine: ProactiveEngine, family_id: str
) -> None:
    """Read the passport (consent applied), store its facts and apply the calendar rules."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    passport = await families.fetch_passport(
        passport_url=settings.passport_url,
        family_id=UUID(family_id),
        identity_secret=settings.identity_secret,
    )
    if passport is None:
        log.warning("passport not found for proactive facts", family_id=family_id)
        return
    await service.save_facts(
        db=runtime.db, family_id=family_id, facts=evaluation.facts_of_passport(passport)
    )
    await apply_calendar_rules(
        runtime=runtime, engine=engine, family_id=family_id, rules=engine.rules.calendar_rules
    )


async def apply_calendar_rules(
    *,
    runtime: ServiceRuntime,
    engine: ProactiveEngine,
    family_id: str,
    rules: Sequence[Rule],
    due_on: date | None = None,
) -> None:
    """Fire what is due for the family and put its future facts in their day buckets.

    ``due_on`` set: the calendar run of that day fires only the facts due that day.
    None: new facts arrived; those already due fire now if their rule allows.
    """
    today = engine.today()
    facts = evaluation.family_facts(
        family_id, await service.get_facts(db=runtime.db, family_id=family_id)
    )
    for rule in rules:
        trigger = rule.trigger
        assert not isinstance(trigger, EventTrigger)
        if due_on is None and not evaluation.fires_on_arrival(trigger):
            due = []
        else:
            due = [
                d
                for d in evaluation.firing_dues(trigger, facts, today)
                if due_on is None or d.on == due_on
            ]
        for fact in due:
            await fire(runtime=runtime, engine=engine, rule=rule, variables=fact.variables)
        for fact in evaluation.future_dues(trigger, facts, today):
            await service.add_to_bucket(
                db=runtime.db, rule_code=rule.code, day=fact.on, family_id=family_id
            )


async def apply_event_rules(
    *, runtime: ServiceRuntime, engine: ProactiveEngine, event: Event
) -> None:
    """Fire the rules the event triggers (not for a family that withdrew its consent)."""
    rules = engine.rules.for_event(event.type)
    if not rules:
        return
    family_id = str(event.family_id)
    facts = evaluation.family_facts(
        family_id, await service.get_facts(db=runtime.db, family_id=family_id)
    )
    if facts.restricted:
        return
    for rule in rules:
        assert isinstance(rule.trigger, EventTrigger)
        if evaluation.event_fires(rule.trigger, event, engine.today()):
            await fire(
                runtime=runtime,
                engine=engine,
                rule=rule,
                variables=evaluation.event_variables(event),
                cause=event,
            )


async def fire(
    *,
    runtime: ServiceRuntime,
    engine: ProactiveEngine,
    rule: Rule,
    variables: evaluation.Variables,
    cause: Event | None = None,
) -> str:
    """Claim the rule's firing for the fact (once ever) and do its actions; the claim id."""
    claim = evaluation.new_claim(rule, variables, today=engine.today(), cause=cause)
    claim_id: str = claim["_id"]
    await service.mark_unfinished(db=runtime.db, claim_id=claim_id)
    try:
        await service.insert_claim(db=runtime.db, claim=claim)
        log.info("proactive rule fired", rule=rule.code, claim=claim_id)
    except DuplicateKeyError:
        log.info("proactive fact already claimed", rule=rule.code, claim=claim_id)
    await finish_claim(runtime=runtime, claim_id=claim_id)
    return claim_id


async def finish_claim(*, runtime: ServiceRuntime, claim_id: str) -> None:
    """Do whatever the claim has not done yet; idempotent, safe to run concurrently."""
    db = runtime.db
    async with locked(db, f"{service.FIRINGS}:{claim_id}"):
        claim = await service.get_claim(db=db, claim_id=claim_id)
        if claim is None or claim["status"] != "pending":
            # No claim: the process stopped between the mark and the claim; nothing fired.
            await service.unmark_unfinished(db=db, claim_id=claim_id)
            return
        await service.index_firing(
            db=db,
            claim_id=claim_id,
            family_id=claim["family_id"],
            rule_code=claim["rule"],
            day=date.fromisoformat(claim["fired_on"]),
        )
        try:
            for index, action in enumerate(claim["actions"]):
                if action["done"]:
                    continue
                if action["kind"] == "request":
                    await _open_request(runtime, claim, index, action)
                else:
                    await _give_curator_task(runtime, claim, index, action)
        except FamilyNotFoundError as exc:
            log.warning("proactive firing failed", claim=claim_id, reason=str(exc))
            await service.update_claim(
                db=db, claim_id=claim_id, fields={"status": "failed", "error": str(exc)}
            )
        else:
            await service.update_claim(
                db=db, claim_id=claim_id, fields={"status": "done", "done_at": utc_now()}
            )
        await service.unmark_unfinished(db=db, claim_id=claim_id)


async def _open_request(
    runtime: ServiceRuntime, claim: Document, index: int, action: Document
) -> None:
    data = HelpRequestCreate(
        family_id=UUID(claim["family_id"]),
        category=NeedCategory(action["category"]),
        description=action["description"],
        urgency=Urgency(action["urgency"]),
        channel=Channel.PROACTIVE_RULE,
    )
    # Opened already if the process stopped after the request but before the mark.
    with contextlib.suppress(DuplicateKeyError):
        await create_help_request(
            runtime=runtime,
            data=data,
            actor=f"rule:{claim['rule']}",
            request_id=UUID(action["request_id"]),
        )
    await service.update_claim(
        db=runtime.db, claim_id=claim["_id"], fields={f"actions.{index}.done": True}
    )


async def _give_curator_task(
    runtime: ServiceRuntime, claim: Document, index: int, action: Document
) -> None:
    family = await family_for_request(runtime=runtime, family_id=UUID(claim["family_id"]))
    envelope: dict[str, Any] = {
        "family_id": UUID(claim["family_id"]),
        "correlation_id": UUID(claim["correlation_id"]) if claim["correlation_id"] else uuid4(),
        "causation_id": UUID(claim["causation_id"]) if claim["causation_id"] else None,
        "trace_context": current_trace_context(),
    }
    task = CuratorTaskCreated(
        **envelope,
        task_id=UUID(action["task_id"]),
        rule_code=claim["rule"],
        title=action["title"],
        description=action["description"],
        curator_id=family.get("curator_id"),
        district=family.get("district"),
        hq=family.get("hq"),
        created_by=f"rule:{claim['rule']}",
    )
    # The task's mark and its event in one write: announced exactly once.
    await runtime.outbox.update(
        service.FIRINGS, claim["_id"], {"$set": {f"actions.{index}.done": True}}, [task]
    )


async def retry_unfinished(*, runtime: ServiceRuntime, older_than_s: float) -> int:
    """Finish the claims a crash left unfinished; how many were looked at."""
    claim_ids = await service.unfinished_claims(db=runtime.db, older_than_s=older_than_s)
    for claim_id in claim_ids:
        try:
            await finish_claim(runtime=runtime, claim_id=claim_id)
        except Exception:
            log.exception("unfinished proactive claim failed again", claim=claim_id)
    return len(claim_ids)


async def run_calendar(*, runtime: ServiceRuntime, engine: ProactiveEngine) -> None:
    """Fire the calendar rules for each day since the last run, reading only day buckets.

    Two replicas may run the same day at once: the claims let each fact fire once.
    A day is recorded as finished only after all its buckets were applied.
    """
    today = engine.today()
    last = await service.last_calendar_day(db=runtime.db)
    day = today if last is None else max(last, today - timedelta(days=MAX_CATCH_UP_DAYS))
    if last is not None:
        day += timedelta(days=1)
    while day <= today:
        for rule in engine.rules.calendar_rules:
            for family_id in await service.bucket_families(
                db=runtime.db, rule_code=rule.code, day=day
            ):
                await apply_calendar_rules(
                    runtime=runtime, engine=engine, family_id=family_id, rules=[rule], due_on=day
                )
        await service.finish_calendar_day(db=runtime.db, day=day)
        day += timedelta(days=1)


def calendar_scheduler(engine: ProactiveEngine, settings: RequestsSettings) -> BackgroundTask:
    """The background loop: finish unfinished claims, then run the calendar, every interval."""

    async def proactive_calendar(runtime: ServiceRuntime) -> None:
        while True:
            try:
                await retry_unfinished(
                    runtime=runtime, older_than_s=settings.proactive_retry_after_s
                )
                await run_calendar(runtime=runtime, engine=engine)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("proactive calendar run failed; retrying at the next interval")
            await asyncio.sleep(settings.proactive_calendar_interval_s)

    return proactive_calendar
