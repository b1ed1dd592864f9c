"""Entry point of the gateway: ``python -m patronage_gateway``."""

import asyncio
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace import TracerProvider
from patronage_common.app import create_service_app, run_service
from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime

from .accounts.flows import SessionCache, seed_demo_accounts
from .api.hooks import router as hooks_router
from .api.live import router as live_router
from .api.reports import router as reports_router
from .api.routes import router as api_router
from .clients import Services
from .pages import audit, auth, dashboard, dispatcher, families, inbox, medical, requests
from .settings import GatewaySettings, get_settings
from .web.errors import EXCEPTION_HANDLERS
from .web.render import TEMPLATES_BY_LANGUAGE

log = get_logger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(
    settings: GatewaySettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The gateway app: web UI and public API over the services."""
    settings = settings or get_settings()
    services = Services(settings)

    async def on_startup(runtime: ServiceRuntime) -> None:
        if settings.demo_accounts:
            created = await seed_demo_accounts(db=runtime.db, path=settings.demo_accounts_file)
            log.info("demo accounts seeded", created=created)

    async def close_clients(runtime: ServiceRuntime) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await services.close()

    app = create_service_app(
        settings,
        title="Patronage — шлюз",
        # The public API first: every call is matched against the routes in order (twice
        # with tracing on), and an API read behind the 26 page routes cost more matching
        # than a page behind the 12 API ones. No page path starts with /api.
        api_routers=[
            api_router,
            live_router,
            reports_router,
            auth.router,
            families.router,
            requests.router,
            dispatcher.router,
            inbox.router,
            dashboard.router,
            audit.router,
            medical.router,
            hooks_router,
        ],
        on_startup=on_startup,
        background_tasks=[close_clients],
        tracer_provider=tracer_provider,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.services = services
    app.state.session_cache = SessionCache(settings.session_cache_s)
    app.state.settings = settings
    app.state.default_language = settings.default_language
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Compiled templates are kept; only in development is each checked for edits on every
    # render (a stat of every template file of the page).
    for templates in TEMPLATES_BY_LANGUAGE.values():
        templates.env.auto_reload = settings.environment == "development"
    return app


def main() -> None:
    """Run the service."""
    run_service(create_app, get_settings())
