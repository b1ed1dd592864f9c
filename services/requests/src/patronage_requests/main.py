"""Entry point of the requests service: ``python -m patronage_requests``."""

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
from .timeline.api import router as timeline_api
from .timeline.handlers import router as timeline_events


def create_app(
    settings: RequestsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The requests service app; ``clock`` (today's date) lets tests move time."""
    settings = settings or get_settings()
    zone = ZoneInfo(settings.proactive_timezone)
    engine = ProactiveEngine(
        rules=load_rules(settings.proactive_rules_file), zone=zone, clock=clock or zone_clock(zone)
    )
    event_routers = (families_events, timeline_events, *STATUS_ROUTERS, *proactive_routers(engine))
    app = create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[r.kafka_router(settings) for r in event_routers],
        api_routers=[requests_api, timeline_api, proactive_api],
        background_tasks=[calendar_scheduler(engine, settings)],
        tracer_provider=tracer_provider,
    )
    app.state.proactive = engine
    return app


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
