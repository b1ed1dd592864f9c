"""Service-wide dependencies of the requests service."""

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from patronage_common.access import Caller, CallerDep, enforce
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import utc_now

from .appointments.catalogue import SpecialistCatalogue, load_catalogue
from .help_requests.access import may_work_the_line
from .routing.service import Router, load_router
from .settings import RequestsSettings

Clock = Callable[[], datetime]
"""Current UTC time; injectable so tests move time without sleeping."""


@lru_cache
def get_router(routing_file: Path | None) -> Router:
    """The routing table (from the file, or the packaged default), loaded once."""
    return load_router(routing_file)


@lru_cache
def get_specialists(specialists_file: Path | None) -> SpecialistCatalogue:
    """Specialists with their offices and schedules (from the file or packaged), loaded once."""
    return load_catalogue(specialists_file)


def settings_of(runtime: ServiceRuntime) -> RequestsSettings:
    """The runtime's settings, as the requests service's own."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    return settings


async def get_clock(request: Request) -> Clock:
    """The clock of the app serving this HTTP request (``create_app(clock=...)``)."""
    clock: Clock = getattr(request.app.state, "clock", utc_now)
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
"""FastAPI dependency: the service clock."""


async def line_worker(who: CallerDep) -> Caller:
    """Only the line's roles (dispatcher, regional administrator, services) log calls and
    book, move or cancel appointments; 403 for everyone else."""
    enforce(may_work_the_line(who.identity))
    return who


LineWorkerDep = Annotated[Caller, Depends(line_worker)]
