"""Entry point of the reporting service: ``python -m patronage_reporting``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .dashboards.api import router as dashboards_api
from .projection.handlers import EVENT_ROUTERS
from .settings import ReportingSettings, get_settings


def create_app(
    settings: ReportingSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The reporting service app."""
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="Patronage — отчёты",
        kafka_routers=[router.kafka_router(settings) for router in EVENT_ROUTERS],
        api_routers=[dashboards_api],
        tracer_provider=tracer_provider,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
