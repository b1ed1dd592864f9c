"""Entry point of the requests service: ``python -m patronage_requests``."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .families.handlers import router as families_events
from .help_requests.api import router as requests_api
from .help_requests.handlers import STATUS_ROUTERS
from .settings import RequestsSettings, get_settings
from .sla.api import router as sla_api
from .sla.clock import Clock, SystemClock
from .sla.deps import CLOCK_STATE_KEY
from .sla.handlers import router as sla_events
from .sla.scheduler import SlaScheduler


def create_app(
    settings: RequestsSettings | None = None,
    tracer_provider: TracerProvider | None = None,
    *,
    clock: Clock | None = None,
) -> FastAPI:
    """The requests service app; ``clock`` drives the SLA (the system clock by default)."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    scheduler = SlaScheduler(clock)
    app = create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[
            r.kafka_router(settings) for r in (families_events, sla_events, *STATUS_ROUTERS)
        ],
        api_routers=[requests_api, sla_api],
        on_startup=scheduler.start,
        tracer_provider=tracer_provider,
    )
    setattr(app.state, CLOCK_STATE_KEY, clock)
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
