"""The service skeleton: FastAPI for HTTP, FastStream for Kafka, in one process."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaRouter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from .foreground import Foreground, ForegroundMiddleware
from .idempotency import PROCESSED_COLLECTION
from .logging import configure_logging, get_logger
from .messaging import EventPublisher, create_broker, ensure_topics
from .outbox import Outbox, running_relay
from .runtime import RUNTIME_CONTEXT_KEY, RuntimeDep, ServiceRuntime
from .settings import ServiceSettings
from .stalls import watching_stalls
from .store import create_mongo_client, move_collections
from .telemetry import create_tracer_provider

log = get_logger(__name__)

StartupHook = Callable[[ServiceRuntime], Awaitable[None]]
BackgroundTask = Callable[[ServiceRuntime], Coroutine[Any, Any, None]]
ExceptionHandler = Callable[[Any, Any], Any]
READY_TIMEOUT_S = 3.0


def apply_gc_threshold(young: int) -> None:
    """Collect the youngest generation every ``young`` allocations (0: leave it)."""
    if young:
        gc.set_threshold(young, *gc.get_threshold()[1:])


def health_router() -> APIRouter:
    """``/health`` (the process lives) and ``/ready`` (Kafka and the store answer)."""
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: Kafka and the store are reachable")
    async def ready(runtime: RuntimeDep, response: Response) -> dict[str, str]:
        checks = {"kafka": "ok", "store": "ok"}
        try:
            await asyncio.wait_for(runtime.db.command("ping"), READY_TIMEOUT_S)
        except Exception as exc:
            checks["store"] = f"unreachable: {type(exc).__name__}"
        if not await runtime.broker.ping(timeout=READY_TIMEOUT_S):
            checks["kafka"] = "unreachable"
        if any(v != "ok" for v in checks.values()):
            response.status_code = 503
        return checks

    return router


@asynccontextmanager
async def running_background(
    runtime: ServiceRuntime, tasks: Sequence[BackgroundTask]
) -> AsyncIterator[None]:
    """Run each task (a loop until cancelled) while the service runs; cancel them on stop."""
    running = [
        asyncio.create_task(task(runtime), name=getattr(task, "__name__", "background"))
        for task in tasks
    ]
    try:
        yield
    finally:
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    kafka_routers: Sequence[KafkaRouter] = (),
    api_routers: Sequence[APIRouter] = (),
    on_startup: StartupHook | None = None,
    background_tasks: Sequence[BackgroundTask] = (),
    tracer_provider: TracerProvider | None = None,
    exception_handlers: Mapping[type[Exception], ExceptionHandler] | None = None,
    projections: Sequence[str] = (),
) -> FastAPI:
    """A FastAPI app whose lifespan runs the store, the broker and the outbox relay.

    ``on_startup`` runs once before the broker starts; ``background_tasks`` (schedulers)
    run after it and are cancelled when the service stops, before the store closes.
    ``projections``: the collections the service keeps in ``runtime.projections``; at
    start they (and the consumers' processed-event records) are moved there from the
    service's database, where versions before it kept them.
    """
    provider = tracer_provider or create_tracer_provider(
        settings.service_name, settings.trace_sample_ratio
    )
    foreground = Foreground()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_mongo_client(settings)
        db = client[settings.database_name]
        broker = create_broker(settings, provider)
        for router in kafka_routers:
            broker.include_router(router)
        publisher = EventPublisher(broker, settings, provider)
        runtime = ServiceRuntime(
            settings=settings,
            client=client,
            db=db,
            broker=broker,
            publisher=publisher,
            outbox=Outbox(db, publisher),
            tracer_provider=provider,
            foreground=foreground,
        )
        broker.context.set_global(RUNTIME_CONTEXT_KEY, runtime)
        app.state.runtime = runtime
        try:
            if moved := await move_collections(
                db, runtime.projections, (PROCESSED_COLLECTION, *projections)
            ):
                log.info("projections moved into their own database", count=moved)
            await ensure_topics(settings)
            if on_startup is not None:
                await on_startup(runtime)
            await broker.start()
            await publisher.start()
            async with (
                running_relay(runtime.outbox, settings.outbox_relay_interval_s),
                running_background(runtime, background_tasks),
                watching_stalls(settings.stall_log_ms / 1000),
            ):
                # What start-up built (modules, models, routes, clients: ~140k objects in
                # the passport service) lives as long as the process: frozen, it is left out
                # of the collector's full passes, each of which otherwise stops every request
                # in flight for ~50-150 ms on a busy machine.
                gc.collect()
                gc.freeze()
                apply_gc_threshold(settings.gc_young_threshold)
                log.info("service started", port=settings.http_port)
                yield
        finally:
            await publisher.stop()
            await broker.stop()
            await client.close()
            log.info("service stopped")

    app = FastAPI(title=title, lifespan=lifespan)
    for exception, handler in (exception_handlers or {}).items():
        app.add_exception_handler(exception, handler)
    app.include_router(health_router())
    for router in api_routers:
        app.include_router(router)
    # Counts the requests in flight (``runtime.foreground``), which background work such
    # as the passport service's search indexer gives way to.
    app.add_middleware(ForegroundMiddleware, foreground=foreground)
    # One span per request: no extra span for every ASGI message (each chunk sent or received),
    # which doubled the tracing cost of a page read and told nothing.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="health,ready",
        exclude_spans=["receive", "send"],
    )
    return app


KEEP_ALIVE_S = 75
"""How long a service keeps an idle connection open: longer than its clients keep theirs
(aiohttp 15 s in the gateway, httpx 5 s), so a client never sends on a connection the
service is closing at that moment (uvicorn's default is 5 s: the bench's requests met
``httpx.ReadError`` after a pause)."""


def run_service(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Entry point body: configure logging and serve the app with uvicorn."""
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    uvicorn.run(
        app_factory(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
