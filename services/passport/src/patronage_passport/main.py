"""Entry point of the passport service: ``python -m patronage_passport``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .measures.api import router as measures_router
from .passports.api import router as passports_router
from .passports.errors import EXCEPTION_HANDLERS
from .settings import PassportSettings, get_settings


def create_app(
    settings: PassportSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The passport service app."""
    return create_service_app(
        settings or get_settings(),
        title="Patronage — социальные паспорта",
        api_routers=[passports_router, measures_router],
        tracer_provider=tracer_provider,
        exception_handlers=EXCEPTION_HANDLERS,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
