"""Entry point of the gateway: ``python -m patronage_gateway``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .pages.views import router as pages_router
from .settings import GatewaySettings, get_settings


def create_app(
    settings: GatewaySettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The gateway app: web UI and public API."""
    return create_service_app(
        settings or get_settings(),
        title="Patronage — шлюз",
        api_routers=[pages_router],
        tracer_provider=tracer_provider,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
