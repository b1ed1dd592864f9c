"""Entry point of the requests service: ``python -m patronage_requests``."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service
from patronage_common.consumers import BatchEventRouter, EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import utc_now

from .appointments.api import router as appointments_api
from .appointments.errors import EXCEPTION_HANDLERS
from .appointments.reminders import ReminderScheduler
from .calls.api import router as calls_api
from .deps import Clock as UtcClock
from .families.handlers import router as families_events
from .help_requests.api import EXCEPTION_HANDLERS as REQUEST_EXCEPTION_HANDLERS
from .help_requests.api import family_router as family_requests_api
from .help_requests.api import router as requests_api
from .help_requests.handlers import STATUS_ROUTERS
from .help_requests.service import fold_family_links_forever
from .intake.handlers import kafka_router as intake_router
from .proactive.api import router as proactive_api
from .proactive.engine import Clock, ProactiveEngine
from .proactive.flows import calendar_scheduler
from .proactive.handlers import proactive_routers
from .proactive.rules import load_rules
from .projections.handlers import router as projections_events
from .request_lists import service as lists
from .request_lists.service import fold_lines_forever
from .settings import RequestsSettings, get_settings
from .sla import service as sla
from .sla.api import router as sla_api
from .sla.clock import Clock as SlaClock
from .sla.deps import CLOCK_STATE_KEY
from .sla.scheduler import SlaScheduler
from .timeline import service as timeline
from .timeline.api import router as timeline_api

PROJECTIONS = (
    timeline.MONTHS,
    timeline.BUCKETS,
    lists.LISTS,
    lists.LINES,
    sla.CLOCKS,
    sla.SCHEDULE,
    sla.OVERDUE,
)
"""What the consumers derive from the requests' events, kept beside the requests (their
firings, which carry outbox events, stay with the requests)."""


def create_app(
    settings: RequestsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Clock | None = None,
    now: UtcClock = utc_now,
    *,
    sla_clock: SlaClock | None = None,
) -> FastAPI:
    """The requests service app; tests move time with ``clock`` (today's date, for the
    proactive rules), ``now`` (UTC time, for slots, calls and reminders; also today's date
    when no ``clock`` is given) and ``sla_clock`` (the SLA clocks' time; ``now`` if unset)."""
    settings = settings or get_settings()
    zone = ZoneInfo(settings.proactive_timezone)
    today = clock or (lambda: now().astimezone(zone).date())
    engine = ProactiveEngine(
        rules=load_rules(settings.proactive_rules_file), zone=zone, clock=today
    )
    sla_clock = sla_clock or _SlaTime(now)
    scheduler = SlaScheduler(sla_clock)
    event_routers: tuple[EventRouter | BatchEventRouter, ...] = (
        families_events,
        projections_events,
        *STATUS_ROUTERS,
        *proactive_routers(engine),
    )

    async def send_reminders(runtime: ServiceRuntime) -> None:
        await ReminderScheduler(runtime, now).run(settings.reminder_interval_s)

    app = create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[
            *(r.kafka_router(settings) for r in event_routers),
            intake_router(settings),
        ],
        api_routers=[
            requests_api,
            family_requests_api,
            timeline_api,
            proactive_api,
            sla_api,
            calls_api,
            appointments_api,
        ],
        on_startup=scheduler.start,
        background_tasks=[
            calendar_scheduler(engine, settings),
            send_reminders,
            fold_family_links_forever,
            fold_lines_forever,
        ],
        tracer_provider=tracer_provider,
        exception_handlers={**EXCEPTION_HANDLERS, **REQUEST_EXCEPTION_HANDLERS},
        projections=PROJECTIONS,
    )
    app.state.proactive = engine
    setattr(app.state, CLOCK_STATE_KEY, sla_clock)
    _stop_on_shutdown(app, scheduler.stop)
    app.state.clock = now
    return app


class _SlaTime:
    """The SLA's clock read from a plain ``now`` function."""

    def __init__(self, now: UtcClock) -> None:
        self._now = now

    def now(self) -> datetime:
        """The current instant (UTC)."""
        return self._now()


def _stop_on_shutdown(app: FastAPI, stop: Callable[[], Awaitable[None]]) -> None:
    """Run ``stop`` when the app shuts down, before the store and the broker close."""
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            try:
                yield
            finally:
                await stop()

    app.router.lifespan_context = lifespan


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
