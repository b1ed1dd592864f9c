"""What an intake batch costs the requests service: store round trips and CPU per request.

Runs the intake path's batch handler in this process (no HTTP, no consumers of the
service's own events) against the real broker and store: registers families with a
passport service served here, then hands ``--batches`` batches of 50 ``SubmitHelpRequest``
commands to ``handle_batch`` one after another and waits for their events to be
published (``--with-consumers``: the whole service is served, and its consumers of its
own events run and are counted until the store is quiet for 3 s). Every store command is
counted (pymongo command monitoring) by command and collection; CPU is this process's
(the passport service idles meanwhile).

    .venv/bin/python bench/intake_costs.py --batches 20
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pymongo import monitoring  # noqa: E402

STATEMENTS = {"insert": "documents", "update": "updates", "delete": "deletes"}
WRITES = {*STATEMENTS, "findAndModify"}


class CommandCounter(monitoring.CommandListener):
    """Counts the store commands of the requests service's databases (its own and its
    ``_outbox`` / ``_projections`` ones), by ``command database.collection``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.documents: Counter[str] = Counter()
        self.documents_by_command: Counter[str] = Counter()
        self.micros: Counter[str] = Counter()
        self._sent: dict[int, str] = {}
        self.on = False
        self.database = ""
        self.seen = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not event.database_name.startswith(self.database):
            return
        if event.command_name in WRITES:
            self.seen += 1
        if self.on:
            target = event.command.get(event.command_name)
            where = target if isinstance(target, str) else ""
            database = event.database_name.removeprefix(self.database).lstrip("_")
            key = (
                f"{event.command_name} {database}.{where}"
                if database
                else f"{event.command_name} {where}"
            )
            self.counts[key] += 1
            statements = event.command.get(STATEMENTS.get(event.command_name, ""))
            n = len(statements) if isinstance(statements, list) else 1
            self.documents[event.command_name] += n
            self.documents_by_command[key] += n
            self._sent[event.request_id] = key

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._took(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._took(event.request_id, event.duration_micros)

    def _took(self, request_id: int, micros: int) -> None:
        key = self._sent.pop(request_id, None)
        if key is not None:
            self.micros[key] += micros

    async def quiet(self, wait: bool, for_s: float = 3.0) -> None:
        """With ``wait``: return once no store write started for ``for_s`` (the service's
        schedulers read all the time)."""
        if not wait:
            return
        while True:
            seen = self.seen
            await asyncio.sleep(for_s)
            if self.seen == seen:
                return


def command(family_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "SubmitHelpRequest",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "producer": "chat-bot",
        "family_id": family_id,
        "request_id": str(uuid.uuid4()),
        "category": "psychological",
        "description": "Прошу помочь с консультацией психолога",
        "channel": "chatbot",
        "submitted_by": "chat-bot",
    }


@contextlib.asynccontextmanager
async def handler_only(settings: Any, ensure_topics: Any) -> AsyncIterator[Any]:
    """A runtime with a broker that publishes and consumes nothing."""
    from patronage_common.messaging import EventPublisher, create_broker
    from patronage_common.outbox import Outbox
    from patronage_common.runtime import ServiceRuntime
    from patronage_common.store import create_mongo_client
    from patronage_common.telemetry import create_tracer_provider

    provider = create_tracer_provider("requests", 1.0)
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    broker = create_broker(settings, provider)
    publisher = EventPublisher(broker, settings)
    runtime = ServiceRuntime(
        settings=settings,
        client=client,
        db=db,
        broker=broker,
        publisher=publisher,
        outbox=Outbox(db, publisher),
        tracer_provider=provider,
    )
    await ensure_topics(settings)
    await broker.start()
    try:
        yield runtime
    finally:
        await broker.stop()
        await client.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    counter = CommandCounter()
    monitoring.register(counter)
    from patronage_common.messaging import ensure_topics
    from patronage_common.testing import free_port, serve
    from patronage_devinfra.resolver import resolve
    from patronage_passport.demo.generator import generate_families
    from patronage_passport.main import create_app as create_passport
    from patronage_passport.settings import PassportSettings
    from patronage_requests.intake.handlers import handle_batch
    from patronage_requests.main import create_app as create_requests
    from patronage_requests.settings import RequestsSettings

    prefix = f"ic{uuid.uuid4().hex[:6]}"
    with resolve() as infra:
        common = {
            "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
            "mongodb_url": infra.mongodb_url,
            "topic_prefix": f"{prefix}.",
            "environment": "test",
            "log_json": False,
        }
        port = free_port()
        passport_settings = PassportSettings(**common, mongodb_database=f"{prefix}_passport")
        settings = RequestsSettings(
            **common,
            mongodb_database=f"{prefix}_requests",
            passport_url=f"http://127.0.0.1:{port}",
        )
        async with serve(create_passport(passport_settings), port) as passport_url:
            async with httpx.AsyncClient(base_url=passport_url, timeout=30) as http:
                families = []
                for family in generate_families(args.families, seed=7):
                    response = await http.post(
                        "/passports", json=family.model_dump(mode="json"), headers={"X-Actor": "b"}
                    )
                    if response.status_code == 201:
                        families.append(response.json()["family_id"])
            counter.database = settings.database_name
            async with contextlib.AsyncExitStack() as stack:
                if args.with_consumers:
                    app = create_requests(settings)
                    await stack.enter_async_context(serve(app, free_port()))
                    runtime = app.state.runtime
                else:
                    runtime = await stack.enter_async_context(handler_only(settings, ensure_topics))
                # Warm-up: each family's details fetched from the passport service once.
                for start in range(0, len(families), 10):
                    await handle_batch(runtime, [command(f) for f in families[start : start + 10]])
                await runtime.outbox.drain()
                await counter.quiet(args.with_consumers)
                counter.counts.clear()
                counter.documents.clear()
                counter.documents_by_command.clear()
                counter.micros.clear()
                counter.on = True
                cpu, start = time.process_time(), time.perf_counter()
                for n in range(args.batches):
                    chosen = [families[(n * 50 + k) % len(families)] for k in range(50)]
                    await handle_batch(runtime, [command(f) for f in chosen])
                await runtime.outbox.drain()
                await counter.quiet(args.with_consumers)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - start
                counter.on = False
                await runtime.client.drop_database(settings.database_name)
    requests = args.batches * 50
    return {
        "requests": requests,
        "families": len(families),
        "store_commands_per_request": round(sum(counter.counts.values()) / requests, 3),
        "document_operations_per_request": {
            name: round(n / requests, 3) for name, n in counter.documents.most_common()
        },
        "cpu_ms_per_request": round(cpu / requests * 1000, 3),
        "wall_ms_per_request": round(wall / requests * 1000, 3),
        "commands": dict(counter.counts.most_common()),
        "store_ms_per_request_by_command": {
            name: round(us / 1000 / requests, 3) for name, us in counter.micros.most_common()
        },
        "documents_per_request_by_command": {
            name: round(n / requests, 3) for name, n in counter.documents_by_command.most_common()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument(
        "--with-consumers",
        action="store_true",
        help="serve the whole requests service: its consumers of its own events count too",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
