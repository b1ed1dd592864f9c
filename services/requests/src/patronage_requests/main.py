"""Entry point of the requests service: ``python -m patronage_requests``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .families.handlers import router as families_events
from .help_requests.api import router as requests_api
from .help_requests.handlers import STATUS_ROUTERS
from .settings import RequestsSettings, get_settings
from .timeline.api import router as timeline_api
from .timeline.handlers import router as timeline_events


def create_app(
    settings: RequestsSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The requests service app."""
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="Patronage — заявки",
        kafka_routers=[
            r.kafka_router(settings) for r in (families_events, timeline_events, *STATUS_ROUTERS)
        ],
        api_routers=[requests_api, timeline_api],
        tracer_provider=tracer_provider,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
