"""Entry point of the notifications service: ``python -m patronage_notifications``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .notifications.api import router as notifications_api
from .notifications.handlers import router as request_events
from .settings import NotificationsSettings, get_settings


def create_app(
    settings: NotificationsSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The notifications service app."""
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="Patronage — уведомления",
        kafka_routers=[request_events.kafka_router(settings)],
        api_routers=[notifications_api],
        tracer_provider=tracer_provider,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
