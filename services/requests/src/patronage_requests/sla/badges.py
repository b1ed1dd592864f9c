"""SLA badges: how each clock of a request stands now, for the lists people work from.

One ``_id`` read of the clock record per request; nothing for a request whose clocks
have not started yet (its RequestCreated not consumed) — the list shows no badge then.
"""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from patronage_common.store import Database
from patronage_contracts.labels import SLA_CLOCK_RU

from ..settings import RequestsSettings
from . import domain, service
from .deps import scale_for
from .domain import CLOCK_STATE_RU, SlaRecord


def clock_views(
    record: SlaRecord, now: datetime, settings: RequestsSettings
) -> list[domain.ClockView]:
    """Each clock of the request as it stands at ``now``, on its own time basis."""
    scale = scale_for(business_time=record.business_time, settings=settings)
    return [domain.view(record, clock, now, scale) for clock in record.clocks]


def badge_of(view: domain.ClockView) -> dict[str, Any]:
    """One clock's badge: its state, deadline and share of the time used."""
    return {
        "clock": view.clock,
        "clock_label": SLA_CLOCK_RU[view.clock],
        "state": view.state,
        "state_label": CLOCK_STATE_RU[view.state],
        "due_at": view.due_at,
        "percent": view.percent,
    }


def badges_of(record: SlaRecord, now: datetime, settings: RequestsSettings) -> list[dict[str, Any]]:
    """Each clock of the request: its state, deadline and share of the time used."""
    return [badge_of(view) for view in clock_views(record, now, settings)]


async def badges_by_request(
    *, db: Database, request_ids: Sequence[UUID], now: datetime, settings: RequestsSettings
) -> dict[UUID, list[dict[str, Any]]]:
    """The badges of several requests, their records read concurrently by ``_id``."""
    records = await asyncio.gather(
        *(service.get_record(db=db, request_id=request_id) for request_id in request_ids)
    )
    return {
        request_id: badges_of(record, now, settings)
        for request_id, record in zip(request_ids, records, strict=True)
        if record is not None
    }
