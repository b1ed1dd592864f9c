"""Entry point of the passport service: ``python -m patronage_passport``."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service

from .curators.api import router as curators_router
from .measures.api import router as measures_router
from .overview.api import router as overview_router
from .passports.api import router as passports_router
from .passports.errors import EXCEPTION_HANDLERS
from .passports.handlers import router as plan_links
from .search import handlers as search_index
from .search.api import router as search_router
from .settings import PassportSettings, get_settings


def create_app(
    settings: PassportSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The passport service app."""
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="Patronage — социальные паспорта",
        # The search route first: GET /passports must not be shadowed.
        api_routers=[
            search_router,
            passports_router,
            measures_router,
            overview_router,
            curators_router,
        ],
        kafka_routers=[search_index.kafka_router(settings), plan_links.kafka_router(settings)],
        background_tasks=[search_index.upgrade_index],
        tracer_provider=tracer_provider,
        exception_handlers=EXCEPTION_HANDLERS,
    )


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
