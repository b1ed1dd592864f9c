"""Entry point of the requests service: ``python -m patronage_requests``."""

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import utc_now

from .appointments.api import router as appointments_api
from .appointments.errors import EXCEPTION_HANDLERS
from .appointments.reminders import ReminderScheduler
from .calls.api import router as calls_api
from .deps import Clock as UtcClock
from .families.handlers import router as families_events
from .help_requests.api import router as requests_api
from .help_requests.handlers import STATUS_ROUTERS
from .proactive.api import router as proactive_api
from .proactive.engine import Clock, ProactiveEngine
from .proactive.flows import calendar_scheduler
from .proactive.handlers import proactive_routers
from .proactive.rules import load_rules
from .settings import RequestsSettings, get_settings


def create_app(
    settings: RequestsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Clock | None = None,
    now: UtcClock = utc_now,
) -> FastAPI:
    """The requests service app; tests move time with ``clock`` (today's date, for the
    proactive rules) or ``now`` (UTC time, for slots, calls and reminders; also today's
    date when no ``clock`` is given)."""
    settings = settings or get_settings()
    zone = ZoneInfo(settings.proactive_timezone)
    today = clock or (lambda: now().astimezone(zone).date())
    engine = ProactiveEngine(
        rules=load_rules(settings.proactive_rules_file), zone=zone, clock=today
    )
    event_routers = (families_events, *STATUS_ROUTERS, *proactive_routers(engine))

    async def send_reminders(runtime: ServiceRuntime) -> None:
        await ReminderScheduler(runtime, now).run(settings.reminder_interval_s)

    app = create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[r.kafka_router(settings) for r in event_routers],
        api_routers=[requests_api, proactive_api, calls_api, appointments_api],
        background_tasks=[calendar_scheduler(engine, settings), send_reminders],
        tracer_provider=tracer_provider,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.proactive = engine
    app.state.clock = now
    return app


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
