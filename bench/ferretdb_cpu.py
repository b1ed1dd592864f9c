"""FerretDB's own CPU per command, one build against another: what a source patch saves.

Two FerretDB processes (``--before``, e.g. an older cache entry, and devinfra's current build)
each get a fresh store of the same backend, with devinfra's Go runtime settings. The commands
the services' hot paths send -- a find by ``_id`` of a passport-shaped document, a find of a
missing ``_id``, an audit insert of three small pages, a delete by ``_id`` of an outbox
marker of 40 events (inserted beforehand, untimed) -- run back to back, alternating between
the two builds round by round, so both see the same machine load. The figure is each process's
CPU time (/proc user + system) over a round divided by its commands: latency on a shared
machine says less than that.

    .venv/bin/python bench/ferretdb_cpu.py --before ~/.cache/patronage/ferretdb-1.24.2-p4/ferretdb
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import cpu_seconds  # noqa: E402

ENTRY = {
    "entry_id": str(uuid.uuid4()),
    "at": "2026-11-24T10:00:00",
    "actor": "cur-elets-1",
    "role": "curator",
    "action": "read",
    "subject_kind": "passport",
    "subject_id": str(uuid.uuid4()),
    "what": "паспорт",
    "reason": None,
    "flagged": False,
    "outcome": "allowed",
}


def passport() -> dict[str, Any]:
    """A stored passport's shape: five members, four needs, contacts, address."""
    members = [
        {
            "member_id": str(uuid.uuid4()),
            "relation": "child",
            "full_name": "Иванова Мария Петровна",
            "birth_date": "2015-01-01",
            "school": {"name": "Школа № 5", "grade": 3},
            "disability": None,
            "snils": "enc:" + "z" * 80,
        }
        for _ in range(5)
    ]
    needs = [
        {
            "need_id": str(uuid.uuid4()),
            "category": "education",
            "status": "open",
            "notes": "Нужна путёвка в лагерь",
            "assessed_by": "cur-elets-1",
            "assessed_at": "2026-01-01T00:00:00",
        }
        for _ in range(4)
    ]
    return {
        "_id": "family",
        "categories": ["svo_family", "large_family"],
        "members": members,
        "contacts": {"phones": ["+79000000000"], "telegram": "@family", "preferred": "phone"},
        "address": {"district": "elets", "hq": "hq-elets", "text": "ул. Ленина, 1"},
        "needs": needs,
        "plan": {"items": [], "review_date": None},
        "version": 7,
        "curator_id": "cur-elets-1",
        "created_at": "2026-01-01T00:00:00",
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from patronage_devinfra.ferretdb import ensure_ferretdb_binary, start_local_ferretdb
    from pymongo import AsyncMongoClient

    builds = {"before": args.before, "after": args.after or ensure_ferretdb_binary()}
    cpu: dict[str, dict[str, list[float]]] = {}
    with contextlib.ExitStack() as stack:
        stores = {
            name: stack.enter_context(start_local_ferretdb(args.backend, binary=binary))
            for name, binary in builds.items()
        }
        clients = {name: AsyncMongoClient(s.mongodb_url) for name, s in stores.items()}
        try:
            for client in clients.values():
                await client.bench.passports.insert_one(passport())
            for round_ in range(args.rounds):
                for name, client in clients.items():
                    db = client.bench
                    commands: dict[str, Callable[[int], Awaitable[Any]]] = {
                        "find_passport": lambda i, db=db: db.passports.find_one({"_id": "family"}),
                        "find_missing": lambda i, db=db: db.passports.find_one({"_id": "none"}),
                        "insert_audit_pages": lambda i, db=db, r=round_: db.audit.insert_many(
                            [
                                {"_id": f"{r}-{i}-{k}", "index": k, "page": 0, "entries": [ENTRY]}
                                for k in range(3)
                            ],
                            ordered=False,
                        ),
                    }
                    # Outbox markers: a group's events, deleted by `_id` once published.
                    marker = {"events": [{**ENTRY, "n": n} for n in range(40)]}
                    await db.markers.insert_many(
                        [{"_id": f"{round_}-{i}", **marker} for i in range(args.ops)]
                    )
                    commands["delete_marker"] = lambda i, db=db, r=round_: db.markers.delete_one(
                        {"_id": f"{r}-{i}"}
                    )
                    for command, call in commands.items():
                        before = cpu_seconds(stores[name].pid)
                        for i in range(args.ops):
                            await call(i)
                        spent = cpu_seconds(stores[name].pid) - before
                        cpu.setdefault(command, {}).setdefault(name, []).append(
                            1000 * spent / args.ops
                        )
        finally:
            for client in clients.values():
                await client.close()
    return {
        "backend": args.backend,
        "builds": {name: str(path) for name, path in builds.items()},
        "ops_per_round": args.ops,
        "rounds": args.rounds,
        "cpu_ms_per_command_median": {
            command: {name: round(statistics.median(v), 3) for name, v in by_build.items()}
            for command, by_build in cpu.items()
        },
        "cpu_ms_per_command_rounds": {
            command: {name: [round(x, 3) for x in v] for name, v in by_build.items()}
            for command, by_build in cpu.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the build to compare with")
    parser.add_argument("--after", type=Path, help="default: devinfra's current build")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--ops", type=int, default=800, help="commands of each kind per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--out", type=Path, help="results file (JSON)")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
