"""Entry point of the requests service: ``python -m patronage_requests``."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .families.handlers import router as families_events
from .help_requests.api import router as requests_api
from .help_requests.handlers import STATUS_ROUTERS
from .proactive.api import router as proactive_api
from .proactive.engine import Clock, ProactiveEngine, zone_clock
from .proactive.flows import calendar_scheduler
from .proactive.handlers import proactive_routers
from .proactive.rules import load_rules
from .settings import RequestsSettings, get_settings
from .sla.api import router as sla_api
from .sla.clock import Clock as SlaClock
from .sla.clock import SystemClock
from .sla.deps import CLOCK_STATE_KEY
from .sla.handlers import router as sla_events
from .sla.scheduler import SlaScheduler
from .timeline.api import router as timeline_api
from .timeline.handlers import router as timeline_events


def create_app(
    settings: RequestsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Clock | None = None,
    *,
    sla_clock: SlaClock | None = None,
) -> FastAPI:
    """The requests service app; tests move time with ``clock`` (today's date, for the
    proactive rules) and ``sla_clock`` (the instant the SLA clocks are read at)."""
    settings = settings or get_settings()
    zone = ZoneInfo(settings.proactive_timezone)
    engine = ProactiveEngine(
        rules=load_rules(settings.proactive_rules_file), zone=zone, clock=clock or zone_clock(zone)
    )
    sla_clock = sla_clock or SystemClock()
    scheduler = SlaScheduler(sla_clock)
    event_routers = (
        families_events,
        timeline_events,
        sla_events,
        *STATUS_ROUTERS,
        *proactive_routers(engine),
    )
    app = create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[r.kafka_router(settings) for r in event_routers],
        api_routers=[requests_api, timeline_api, proactive_api, sla_api],
        on_startup=scheduler.start,
        background_tasks=[calendar_scheduler(engine, settings)],
        tracer_provider=tracer_provider,
    )
    app.state.proactive = engine
    setattr(app.state, CLOCK_STATE_KEY, sla_clock)
    _stop_on_shutdown(app, scheduler.stop)
    return app


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
