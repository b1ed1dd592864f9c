"""The gateway at load: a passport page and the passport API read by 200 concurrent users.

The passport service and the gateway run as their own processes against the real Kafka and
store; this process plays the users (curators reading their own families; the page users
share one session cookie, the API users one bearer token: a login per user would only add
argon2 hashing before the measurement). Every read goes the whole way: session look-up,
signed identity, the passport service's scoped read, the audit entry, the page rendered.

The user model (the primary result): ``--users`` (200) people each think for a
time drawn uniformly from 1–3 s (``--think-min``/``--think-max``), then read again, for
``--seconds``: an offered load of about users / 2 reads per second. Latency p50/p95/p99 of
those reads is what the targets are about: p99 ≤ 100 ms for the page, ≤ 30 ms for the API.

The saturation figure (secondary): ``--saturation-users`` (50) clients read back to back
with no think time (a closed loop) for ``--saturation-seconds``: how many reads per second
the two processes sustain. Its latency is queueing, not a user's experience.

For every phase: CPU milliseconds per read of each process (its /proc user + system time
over the phase, divided by the reads): the cost of a read, which the machine's other load
distorts far less than latency does. ``store`` is FerretDB's when it runs on this machine:
shared with whatever else uses it at the time, so an upper bound.

``--profile page`` (or ``api``) instead runs the services under cProfile (CPU time, from the
measured phase on), does only the closed-loop phase of that kind and prints each process's
functions by own time per read.
"""

import argparse
import asyncio
import json
import os
import pstats
import random
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patronage_common.stalls import StallWatch  # noqa: E402

from bench.support import (  # noqa: E402
    CpuTimeline,
    collections_between,
    collections_of,
    command_timelines,
    commands_in,
    cpu_seconds,
    kafka_pid,
    logged_stalls,
    percentile,
    running_services,
    stall_summary,
    store_commands,
    store_pid,
    tail_shape,
    wait_ready,
)

PREFIX = "benchgw."
CURATOR = "cur-elets-1"
PASSWORD = "demo-pass-1"  # the demo account's
SLOW_MS = {"page": 100.0, "api": 30.0}
OUTSIDE_BURST_MS = 300.0
"""CPU ms in one second taken by the machine's other work and the broker together (15 % of the
two cores; about 130 in a quiet second): a second the reads shared with such work is
``disturbed``."""
"""The p99 targets: a read slower than this is a slow one in the tail's shape."""


async def register_families(passport_url: str, count: int) -> list[str]:
    """Families of the benchmark's curator, straight through the passport service."""
    from tests.support.families import passport_payload

    ids: list[str] = []
    async with httpx.AsyncClient(base_url=passport_url, timeout=30) as http:
        for _ in range(count):
            response = await http.post(
                "/passports", json=passport_payload(district="elets", curator_id=CURATOR)
            )
            response.raise_for_status()
            ids.append(response.json()["family_id"])
    return ids


async def session_cookie(gateway: str) -> dict[str, str]:
    """Log in through the form; the session cookie."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        page = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        answer = await http.post(
            "/login", data={"login": CURATOR, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        assert answer.status_code == 303, answer.text
        return {"patronage_session": answer.cookies["patronage_session"]}


async def bearer(gateway: str) -> dict[str, str]:
    """An API token's header."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        answer = await http.post("/api/token", json={"login": CURATOR, "password": PASSWORD})
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def load(
    gateway: str,
    paths: list[str],
    users: list[dict[str, Any]],
    seconds: float,
    think_s: tuple[float, float] | None = None,
    slow_ms: float = 100.0,
) -> dict[str, Any]:
    """Every user reads random paths for ``seconds``, thinking ``think_s`` (a uniformly
    drawn pause) between reads, or back to back if None; latency percentiles and rate, and
    when the reads slower than ``slow_ms`` came (``tail``: see ``tail_shape``)."""
    samples: list[float] = []
    starts: list[float] = []
    # Each user's reads after its first: the first also opens the user's connection to the
    # gateway (a TCP handshake and the gateway's accept of 200 new connections at once).
    later: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    # aiohttp plays the users: measured here, httpx's pool cost this process 8-13 ms of CPU
    # per read with 200 connections open (2 ms with 50), taken from the two cores the
    # services under test share with it.
    connector = aiohttp.TCPConnector(limit=len(users))
    async with aiohttp.ClientSession(
        base_url=gateway,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=30),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as http:

        async def think() -> bool:
            """Pause like a person reading the page; False when the time is up."""
            if think_s is not None:
                pause = random.uniform(*think_s)
                if time.monotonic() + pause >= deadline:
                    return False
                await asyncio.sleep(pause)
            return time.monotonic() < deadline

        async def user(credentials: dict[str, Any]) -> None:
            nonlocal errors
            first = True
            while await think():
                begun = time.monotonic()
                started = time.perf_counter()
                try:
                    async with http.get(random.choice(paths), **credentials) as response:
                        await response.read()
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                    continue
                samples.append(time.perf_counter() - started)
                starts.append(begun)
                if not first:
                    later.append(samples[-1])
                first = False
                errors += response.status != 200

        started = time.monotonic()
        wall_start = time.time()
        await asyncio.gather(*(user(u) for u in users))
        elapsed = time.monotonic() - started
    return {
        "reads": len(samples),
        "errors": errors,
        "per_s": len(samples) / elapsed,
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
        "max_ms": 1000 * max(samples, default=0.0),
        "after_first_read": {
            "reads": len(later),
            "p50_ms": percentile(later, 50),
            "p99_ms": percentile(later, 99),
        },
        "tail": tail_shape(list(zip(starts, samples, strict=True)), started, slow_ms),
        "wall_start": wall_start,
        # (second of the phase, duration s) of every read: split by what else ran then.
        "_reads": [(start - started, d) for start, d in zip(starts, samples, strict=True)],
    }


async def idle_cpu(pids: dict[str, int], seconds: float = 3.0) -> dict[str, float]:
    """Each process's CPU milliseconds per second while nobody reads (Kafka consumers
    polling, the outbox relay; for the store, everyone else's use of it)."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    await asyncio.sleep(seconds)
    return {name: 1000 * (cpu_seconds(pid) - before[name]) / seconds for name, pid in pids.items()}


async def measured(
    gateway: str,
    pids: dict[str, int],
    idle: dict[str, float],
    count_dir: Path | None,
    log_dir: Path,
    client_watch: StallWatch,
    cpu_timeline: CpuTimeline,
    *load_args: Any,
    **load_kwargs: Any,
) -> dict[str, Any]:
    """``load`` and each process's CPU milliseconds per read over it: all of it, and net of
    its idle rate (``idle``), which at a low read rate would otherwise dominate; with
    ``count_dir``, each service's store commands per read (by command and collection); the
    event-loop stalls of each service (from its log) and of the users' own process."""
    services = {name: pid for name, pid in pids.items() if name != "store"}
    commands_before = await store_commands(services, count_dir) if count_dir else {}
    collections_before = collections_of(list(services), count_dir) if count_dir else {}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    client_before = time.process_time()
    since = datetime.now(UTC)
    started = time.monotonic()
    figures: dict[str, Any] = await load(gateway, *load_args, **load_kwargs)
    elapsed = time.monotonic() - started
    until = datetime.now(UTC)
    reads = max(1, figures["reads"])
    # The users' own process: when it nears a core, it is the limit, not the services.
    figures["client_cpu_ms_per_read"] = 1000 * (time.process_time() - client_before) / reads
    for name, pid in pids.items():
        spent = 1000 * (cpu_seconds(pid) - before[name])
        figures[f"{name}_cpu_ms_per_read"] = spent / reads
        figures[f"{name}_net_cpu_ms_per_read"] = (spent - idle[name] * elapsed) / reads
    if count_dir:
        # Taken after the CPU figures: signalling the services costs them a little CPU.
        commands_after = await store_commands(services, count_dir)
        per_read: dict[str, dict[str, float]] = {}
        for name, counts in commands_after.items():
            sent = {
                command: (count - commands_before[name].get(command, 0)) / reads
                for command, count in sorted(counts.items())
            }
            per_read[name] = {command: n for command, n in sent.items() if n >= 0.005}
            figures[f"{name}_store_commands_per_read"] = sum(sent.values())
        figures["store_commands_per_read"] = per_read
        collections_after = collections_of(list(services), count_dir)
        figures["collections"] = {
            name: collections_between(collections_before[name], collections_after[name], reads)
            for name in services
        }
        figures["worst_seconds_context"] = worst_seconds_context(
            figures, cpu_timeline, await command_timelines(services, count_dir), elapsed
        )
    else:
        figures["worst_seconds_context"] = worst_seconds_context(figures, cpu_timeline, {}, elapsed)
    await asyncio.sleep(0.2)  # the last stall's log line
    stalls = {
        name: stall_summary(logged_stalls(log_dir / f"{name}.log", since, until))
        for name in services
    }
    stalls["users"] = stall_summary(
        [
            {**vars(stall), "where": stall.stack}
            for stall in client_watch.stalls
            if since <= stall.at <= until
        ]
    )
    figures["stalls"] = stalls
    return figures


def worst_seconds_context(
    figures: dict[str, Any],
    cpu_timeline: CpuTimeline,
    timelines: dict[str, dict[str, Any]],
    elapsed: float,
) -> dict[str, Any]:
    """What ran in the phase's worst seconds, beside a typical second: each process's CPU
    ms and the machine's (``CpuTimeline``), each service's store commands sent in that
    second that it sends more often than in an average second of the phase (background
    work: a scan, a fold, a relay), and the store commands that took ``TIMED_COMMAND_MS``
    or more and ended in that second."""
    wall_start = figures["wall_start"]
    seconds = int(elapsed)
    per_second = cpu_timeline.per_second(wall_start, seconds)
    average: dict[str, dict[str, float]] = {
        name: {
            what: n / max(1, seconds)
            for what, n in commands_in(timeline, wall_start, wall_start + seconds).items()
        }
        for name, timeline in timelines.items()
    }

    def second_context(second: int) -> dict[str, Any]:
        begin, end = wall_start + second, wall_start + second + 1
        unusual: dict[str, dict[str, int]] = {}
        for name, timeline in timelines.items():
            sent = commands_in(timeline, begin, end)
            extra = {
                what: n for what, n in sent.items() if n >= 2 * average[name].get(what, 0.0) + 1
            }
            if extra:
                unusual[name] = extra
        slow = [
            {"service": name, "command": what, "ms": round(ms, 1), "at": round(at - wall_start, 2)}
            for name, timeline in timelines.items()
            for at, what, ms in timeline["slow"]
            if begin <= at < end
        ]
        return {
            "cpu_ms": per_second[second] if second < len(per_second) else {},
            "threads_cpu_ms": cpu_timeline.threads_in(begin, end),
            "others_cpu_ms": cpu_timeline.others_in(begin, end),
            "unusual_commands": unusual,
            "slow_commands": sorted(slow, key=lambda c: -c["ms"])[:8],
        }

    rows = [r for r in per_second if "machine" in r]
    keys = [k for k in (rows[0] if rows else {}) if k != "second"]
    median = {k: sorted(r[k] for r in rows)[len(rows) // 2] for k in keys}
    return {
        "disturbed": disturbed_seconds(rows, figures.pop("_reads"), figures["tail"]["slow_ms"]),
        "median_second_cpu_ms": median,
        "median_second_threads_cpu_ms": cpu_timeline.threads_in(wall_start, wall_start + seconds),
        "worst": {
            str(row["second"]): second_context(row["second"])
            for row in figures["tail"]["worst_seconds"]
        },
        "cpu_ms_per_second": [[r.get("second")] + [r.get(k) for k in keys] for r in per_second],
        "cpu_columns": ["second", *keys],
    }


def disturbed_seconds(
    rows: list[dict[str, Any]],
    reads: list[tuple[float, float]],
    slow_ms: float,
) -> dict[str, Any]:
    """The reads of the seconds in which the machine's other work and the broker (JIT
    compiling, say) took ``OUTSIDE_BURST_MS`` or more, apart from the others: how many, how
    many slow, their p99. ``reads``: (second of the phase, duration in seconds)."""
    disturbed = {r["second"] for r in rows if r["others"] + r.get("kafka", 0.0) >= OUTSIDE_BURST_MS}
    inside = [d for at, d in reads if int(at) in disturbed]
    outside = [d for at, d in reads if int(at) not in disturbed]
    return {
        "outside_burst_ms": OUTSIDE_BURST_MS,
        "seconds": sorted(disturbed),
        "reads": len(inside),
        "slow": sum(1000 * d > slow_ms for d in inside),
        "p99_ms": round(percentile(inside, 99), 1) if inside else None,
        "other_reads": len(outside),
        "other_slow": sum(1000 * d > slow_ms for d in outside),
        "other_p99_ms": round(percentile(outside, 99), 1) if outside else None,
    }


def go_collections(pid: int) -> dict[str, Any]:
    """FerretDB's Go collections, when it runs with ``GODEBUG=gctrace=1`` (set it in this
    process's environment: FerretDB started here inherits it): how many, and the lines
    (``gc N @seconds-since-start …``) with the process's start on the wall clock."""
    try:
        log = Path(os.readlink(f"/proc/{pid}/fd/2")).read_text("utf-8", errors="replace")
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return {}
    started = time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    lines = [line for line in log.splitlines() if line.startswith("gc ")]
    return {"count": len(lines), "process_started": round(started, 2), "lines": lines[-50:]}


def print_profiles(profile_dir: Path, reads: int, top: int = 25) -> None:
    """Each service's functions by own time, in milliseconds per read."""
    for path in sorted(profile_dir.glob("*.prof")):
        stats = pstats.Stats(str(path))
        rows = sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda item: item[1][2],
            reverse=True,
        )
        total = sum(row[1][2] for row in rows)
        print(f"\n== {path.stem}: {1000 * total / reads:.2f} ms profiled per read; top own time")
        for (file, line, function), (_, calls, own, cumulative, _) in rows[:top]:
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
            print(
                f"{1000 * own / reads:8.3f} own {1000 * cumulative / reads:8.3f} cum ms/read "
                f"{calls / reads:7.2f} calls/read  {function} ({where})"
            )


def brief(figures: dict[str, Any]) -> str:
    """A phase's figures without the per-second rows and the stalls' stacks."""
    tail = {k: v for k, v in figures["tail"].items() if k != "per_second"}
    stalls = {
        name: {k: v for k, v in summary.items() if k != "longest"}
        for name, summary in figures["stalls"].items()
    }
    shown = {k: v for k, v in figures.items() if k != "store_commands_per_read"}
    context = {
        k: v for k, v in figures["worst_seconds_context"].items() if k != "cpu_ms_per_second"
    }
    return str({**shown, "tail": tail, "stalls": stalls, "worst_seconds_context": context})


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from patronage_devinfra.resolver import resolve

    results: dict[str, Any] = {
        "users": args.users,
        "think_s": [args.think_min, args.think_max],
        "seconds": args.seconds,
        "saturation_users": args.saturation_users,
        "saturation_seconds": args.saturation_seconds,
        "trace_sample_ratio": args.trace_sample_ratio,
        "stall_ms": args.stall_ms,
        "environment": args.environment,
        "gc_young": args.gc_young,
        "load_average_before": os.getloadavg()[0],
    }
    profile_dir = Path(tempfile.mkdtemp(prefix="benchgw-prof-")) if args.profile else None
    count_dir = None if args.profile else Path(tempfile.mkdtemp(prefix="benchgw-count-"))
    log_dir = Path(tempfile.mkdtemp(prefix="benchgw-logs-"))
    # The users' own process can stall too (its collector, a burst of answers at once):
    # its stalls count in every latency it measures.
    client_watch = StallWatch(threshold_s=args.stall_ms / 1000, log_stalls=False)
    watching = (
        asyncio.create_task(client_watch.run(), name="stall-watch") if args.stall_ms > 0 else None
    )
    with resolve() as infra:
        results["store"] = f"{infra.kind} ({infra.store_backend})"
        database_prefix = f"benchgw{random.randint(0, 10**6)}"
        with running_services(
            infra,
            # The family page lists the family's requests from the requests service.
            ("passport", "requests", "gateway"),
            topic_prefix=PREFIX,
            database_prefix=database_prefix,
            extra_env={
                "TRACE_SAMPLE_RATIO": str(args.trace_sample_ratio),
                "STALL_LOG_MS": str(args.stall_ms),
                # As deployed: in development the gateway checks every template file of a
                # page for edits on each render (a stat each, seen in the stall stacks).
                "ENVIRONMENT": args.environment,
                **({"GC_YOUNG_THRESHOLD": str(args.gc_young)} if args.gc_young is not None else {}),
            },
            profile_dir=profile_dir,
            count_dir=count_dir,
            log_dir=log_dir,
        ) as (urls, pids):
            pids = {**pids, **store_pid(infra.mongodb_url)}
            cpu_timeline = CpuTimeline(
                {**pids, **kafka_pid(infra.kafka_bootstrap_servers), "users": os.getpid()},
                by_thread=["kafka"],
            )
            sampling = asyncio.create_task(cpu_timeline.run(), name="cpu-timeline")
            for url in urls.values():
                await wait_ready(url)
            families = await register_families(urls["passport"], args.families)
            cookie = await session_cookie(urls["gateway"])
            token = await bearer(urls["gateway"])
            kinds = {
                "page": ([f"/families/{f}" for f in families], {"cookies": cookie}),
                "api": ([f"/api/passports/{f}" for f in families], {"headers": token}),
            }
            phases = [args.profile] if args.profile else list(kinds)
            for paths, credentials in kinds.values():
                await load(urls["gateway"], paths, [credentials] * 5, 2.0)
            await asyncio.sleep(3.0)  # the consumers catch up with the registrations first
            idle = await idle_cpu(pids)
            print(f"idle CPU ms/s: {idle}", flush=True)
            results["idle_cpu_ms_per_s"] = idle
            for phase in phases:
                paths, credentials = kinds[phase]
                if args.profile:
                    for name in ("gateway", "passport", "requests"):
                        os.kill(pids[name], signal.SIGUSR1)  # start profiling
                if not args.profile:
                    think = (args.think_min, args.think_max)
                    users = await measured(
                        urls["gateway"],
                        pids,
                        idle,
                        count_dir,
                        log_dir,
                        client_watch,
                        cpu_timeline,
                        paths,
                        [credentials] * args.users,
                        args.seconds,
                        think,
                        slow_ms=SLOW_MS[phase],
                    )
                    print(
                        f"{phase}, {args.users} users thinking {think} s: {brief(users)}",
                        flush=True,
                    )
                    results.setdefault(phase, {})["users"] = users
                saturation = await measured(
                    urls["gateway"],
                    pids,
                    idle,
                    count_dir,
                    log_dir,
                    client_watch,
                    cpu_timeline,
                    paths,
                    [credentials] * args.saturation_users,
                    args.saturation_seconds,
                    slow_ms=SLOW_MS[phase],
                )
                print(f"{phase}, saturation: {brief(saturation)}", flush=True)
                results.setdefault(phase, {})["saturation"] = saturation
            results["load_average"] = os.getloadavg()[0]
            sampling.cancel()
            if "store" in pids:
                results["store_go_collections"] = go_collections(pids["store"])
    if watching is not None:
        watching.cancel()
    if profile_dir is not None:
        # The services wrote their profiles when they stopped.
        print_profiles(profile_dir, results[args.profile]["saturation"]["reads"])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200, help="people reading (200)")
    parser.add_argument("--think-min", type=float, default=1.0, help="shortest pause, s")
    parser.add_argument("--think-max", type=float, default=3.0, help="longest pause, s")
    parser.add_argument("--seconds", type=float, default=30.0, help="user phase, each kind")
    parser.add_argument("--saturation-users", type=int, default=50, help="closed-loop clients")
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument(
        "--trace-sample-ratio", type=float, default=1.0, help="TRACE_SAMPLE_RATIO of the services"
    )
    parser.add_argument(
        "--environment",
        choices=["test", "development"],
        default="test",
        help="ENVIRONMENT of the services (test: as deployed, templates compiled once)",
    )
    parser.add_argument(
        "--gc-young",
        type=int,
        help="GC_YOUNG_THRESHOLD of the services (their own default if not given; 700 is Python's)",
    )
    parser.add_argument(
        "--stall-ms",
        type=float,
        default=0.0,
        help="record event-loop stalls of at least this many ms in every process (0: off; "
        "the watch wakes every 10 ms in each process and costs the measured reads)",
    )
    parser.add_argument(
        "--profile", choices=["page", "api"], help="profile one kind of read (no results file)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="results file (default bench/results/gateway-<users>-users.json)",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    if args.profile:
        return 0

    def rounded(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return round(value, 2) if isinstance(value, float) else value

    results = rounded(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = args.out or ROOT / "bench" / "results" / f"gateway-{args.users}-users.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
