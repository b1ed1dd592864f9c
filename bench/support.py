"""What the benchmark scripts share: percentiles, and services run as their own processes."""

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


@contextmanager
def running_services(
    infra: Any,
    names: Sequence[str],
    *,
    topic_prefix: str,
    database_prefix: str,
    extra_env: Mapping[str, str] | None = None,
    profile_dir: Path | None = None,
    count_dir: Path | None = None,
    log_dir: Path | None = None,
) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """``python -m patronage_<name>`` for each name on free ports; their URLs and pids.

    Every service learns every other's URL (``PASSPORT_URL``, ``REQUESTS_URL``, …). With
    ``profile_dir`` each runs under cProfile and writes ``<name>.prof`` there when stopped;
    else with ``count_dir`` each counts its store commands and writes them to
    ``<name>.json`` there on SIGUSR2 (``store_commands``). Each writes its log to
    ``<name>.log`` in ``log_dir`` (a new temporary folder if None).
    """
    from patronage_common.ports import free_port
    from patronage_devinfra.processes import spawn

    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="bench-"))
    ports = {name: free_port() for name in names}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = []
    try:
        for name, port in ports.items():
            if profile_dir:
                command = [
                    str(Path(__file__).parent / "profiled.py"),
                    str(profile_dir / f"{name}.prof"),
                ]
            elif count_dir:
                command = [
                    str(Path(__file__).parent / "counted.py"),
                    str(count_dir / f"{name}.json"),
                ]
            else:
                command = ["-m"]
            processes.append(
                spawn(
                    name,
                    [sys.executable, *command, f"patronage_{name}"],
                    log_path=log_dir / f"{name}.log",
                    env={
                        **os.environ,
                        **infra.as_env(),
                        **{f"{other.upper()}_URL": url for other, url in urls.items()},
                        "MONGODB_DATABASE": f"{database_prefix}_{name}",
                        "TOPIC_PREFIX": topic_prefix,
                        "HTTP_PORT": str(port),
                        "LOG_LEVEL": "WARNING",
                        **(extra_env or {}),
                    },
                )
            )
        print(f"service logs in {log_dir}", flush=True)
        yield urls, {p.name: p.pid for p in processes}
    finally:
        for process in processes:
            process.stop()


async def wait_ready(url: str) -> None:
    """Wait until the service at ``url`` answers ``/ready`` (two minutes at most)."""
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for _ in range(600):
            try:
                if (await http.get("/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


async def store_commands(pids: Mapping[str, int], count_dir: Path) -> dict[str, dict[str, int]]:
    """Each service's store commands so far (services run with ``count_dir``), by name."""
    for name, pid in pids.items():
        (count_dir / f"{name}.json").unlink(missing_ok=True)
        (count_dir / f"{name}.gc.json").unlink(missing_ok=True)
        os.kill(pid, signal.SIGUSR2)
    counts: dict[str, dict[str, int]] = {}
    for name in pids:
        path = count_dir / f"{name}.json"
        for _ in range(1000):  # 20 s at most: a busy machine may take seconds to answer
            if path.exists():
                break
            await asyncio.sleep(0.02)
        counts[name] = json.loads(path.read_text())
    return counts


def collections_of(names: Sequence[str], count_dir: Path) -> dict[str, dict[str, list[float]]]:
    """Each service's garbage collections so far, as its last ``store_commands`` left them
    (``bench/counted.py``)."""
    return {name: json.loads((count_dir / f"{name}.gc.json").read_text()) for name in names}


def collections_between(
    before: Mapping[str, list[float]], after: Mapping[str, list[float]], reads: int
) -> dict[str, Any]:
    """Collections by generation over a phase: how many, wall and CPU ms per read, the
    longest (ms, over the whole run so far) and the objects each generation held after; and
    the store commands that took 10, 50, 100 ms or more to answer."""
    return {
        "count": [a - b for a, b in zip(after["count"], before["count"], strict=True)],
        "wall_ms_per_read": [
            round(1000 * (a - b) / reads, 3)
            for a, b in zip(after["wall_s"], before["wall_s"], strict=True)
        ],
        "cpu_ms_per_read": [
            round(1000 * (a - b) / reads, 3)
            for a, b in zip(after["cpu_s"], before["cpu_s"], strict=True)
        ],
        "longest_ms_so_far": [round(1000 * s, 1) for s in after["max_s"]],
        "objects": after["objects"],
        # Not collections: the store's answers over the phase, as the service waited for them.
        "store_commands_slower_than_10_50_100_ms": [
            a - b
            for a, b in zip(
                after["commands_slower_than_ms"], before["commands_slower_than_ms"], strict=True
            )
        ],
        "longest_store_command_ms_so_far": after["longest_command_ms"][0],
        # With BENCH_GARBAGE_TYPES=1: what the phase's collections freed, by type.
        **({"garbage_types": after["garbage_types"]} if "garbage_types" in after else {}),
    }


def tail_shape(
    samples: Sequence[tuple[float, float]], started: float, slow_ms: float, worst: int = 5
) -> dict[str, Any]:
    """Where in time the slow samples fall: stalls crowd them into a few seconds, steady
    queueing spreads them out.

    ``samples``: (start time, duration) in seconds, the start on the clock of ``started``
    (the phase's start). Per second of the phase: reads, p99 and max (ms), reads slower
    than ``slow_ms``; the ``worst`` seconds by slow reads, and their share of all slow reads.
    """
    by_second: dict[int, list[float]] = {}
    for start, duration in samples:
        by_second.setdefault(int(start - started), []).append(duration)
    rows = [
        {
            "second": second,
            "reads": len(durations),
            "p99_ms": round(percentile(durations, 99), 1),
            "max_ms": round(1000 * max(durations), 1),
            "slow": sum(1000 * d > slow_ms for d in durations),
        }
        for second, durations in sorted(by_second.items())
    ]
    slow = sum(row["slow"] for row in rows)
    worst_rows = sorted(rows, key=lambda row: (row["slow"], row["max_ms"]), reverse=True)[:worst]
    return {
        "slow_ms": slow_ms,
        "slow": slow,
        "worst_seconds": worst_rows,
        "slow_in_worst_seconds": round(sum(r["slow"] for r in worst_rows) / slow, 2) if slow else 0,
        "per_second": [
            [row["second"], row["reads"], row["p99_ms"], row["max_ms"], row["slow"]] for row in rows
        ],
    }


def logged_stalls(log_path: Path, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The ``event loop stalled`` warnings a service logged (``STALL_LOG_MS``) that ended
    between ``since`` and ``until``, each with its end time as ``at``."""
    stalls: list[dict[str, Any]] = []
    if not log_path.exists():
        return stalls
    for line in log_path.read_text("utf-8", errors="replace").splitlines():
        if "event loop stalled" not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        at = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
        if since <= at <= until:
            stalls.append({**record, "at": at})
    return stalls


def stall_summary(stalls: Sequence[Mapping[str, Any]], top: int = 3) -> dict[str, Any]:
    """Count and total of stalls, split by what explains most of each: a garbage collection
    (``gc``), the loop's own work (``cpu``), or waiting for a core or a blocking call
    (``waiting``); the longest ``top`` with where the loop was."""

    def cause(stall: Mapping[str, Any]) -> str:
        if stall["gc_ms"] >= stall["lag_ms"] / 2:
            return "gc"
        return "cpu" if stall["cpu_ms"] >= stall["lag_ms"] / 2 else "waiting"

    longest = sorted(stalls, key=lambda s: s["lag_ms"], reverse=True)[:top]
    return {
        "count": len(stalls),
        "total_ms": round(sum(s["lag_ms"] for s in stalls), 1),
        "max_ms": max((s["lag_ms"] for s in stalls), default=0.0),
        "by_cause": {
            c: sum(cause(s) == c for s in stalls) for c in ("gc", "cpu", "waiting") if stalls
        },
        "longest": [
            {
                "at": s["at"].strftime("%H:%M:%S.%f")[:-3],
                "lag_ms": s["lag_ms"],
                "cpu_ms": s["cpu_ms"],
                "gc_ms": s["gc_ms"],
                "gc": s["gc"],
                "where": s["where"][-3:],
            }
            for s in longest
        ],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_listening_on(port: int) -> int | None:
    """The process listening on a local TCP port (None if not visible to this user)."""
    import psutil

    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            return connection.pid
    return None


def store_pid(mongodb_url: str) -> dict[str, int]:
    """FerretDB's pid when it listens on this machine (and this user may see it)."""
    address = urlsplit(mongodb_url)
    if address.hostname in ("127.0.0.1", "localhost") and address.port:
        pid = pid_listening_on(address.port)
        if pid is not None:
            return {"store": pid}
    return {}


def kafka_pid(bootstrap_servers: str) -> dict[str, int]:
    """The Kafka broker's pid (the JVM) when it listens on this machine."""
    pid = pid_listening_on(int(bootstrap_servers.split(",")[0].rsplit(":", 1)[1]))
    return {"kafka": pid} if pid is not None else {}


def machine_cpu() -> tuple[float, int]:
    """The machine's busy CPU seconds so far (all cores, /proc/stat) and its runnable tasks now."""
    busy = 0.0
    running = 0
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu "):
            fields = [int(f) for f in line.split()[1:]]
            # user nice system idle iowait irq softirq steal: idle and iowait are not busy.
            busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        elif line.startswith("procs_running"):
            running = int(line.split()[1])
    return busy, running


def thread_groups(pid: int) -> dict[str, float]:
    """A process's CPU seconds so far by thread name, numbers dropped (``GC Thread#0`` and
    ``GC Thread#1`` count as one ``GC Thread#``; a JVM names every thread)."""
    groups: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")].rstrip("0123456789-")
        fields = text.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        groups[name] = groups.get(name, 0.0) + ticks / os.sysconf("SC_CLK_TCK")
    return groups


def every_process() -> dict[int, tuple[str, float]]:
    """Every visible process's name and CPU seconds so far."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        name = text[text.index("(") + 1 : text.rindex(")")]
        found[int(entry.name)] = (
            name,
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
        )
    return found


class CpuTimeline:
    """Each process's CPU and the machine's, sampled every ``interval_s``: what ran in a
    given second of a phase (a burst of background work in one process, other work on the
    machine) next to the reads that were slow in it. The threads of ``by_thread``'s
    processes are sampled by name too, and every ``scan_every`` samples every process on
    the machine (who the ``others`` were)."""

    def __init__(
        self,
        pids: Mapping[str, int],
        interval_s: float = 0.1,
        by_thread: Sequence[str] = (),
        scan_every: int = 5,
    ) -> None:
        self.pids = dict(pids)
        self.interval_s = interval_s
        self.by_thread = [name for name in by_thread if name in self.pids]
        self.scan_every = scan_every
        # (wall time, {process: CPU s so far}, machine busy s so far, runnable tasks)
        self.samples: list[tuple[float, dict[str, float], float, int]] = []
        self.threads: list[tuple[float, dict[str, dict[str, float]]]] = []
        self.scans: list[tuple[float, dict[int, tuple[str, float]]]] = []

    def sample(self) -> None:
        """One sample now."""
        cpu = {}
        for name, pid in self.pids.items():
            try:
                cpu[name] = cpu_seconds(pid)
            except OSError:
                cpu[name] = float("nan")
        busy, running = machine_cpu()
        now = time.time()
        self.samples.append((now, cpu, busy, running))
        if self.by_thread:
            self.threads.append(
                (now, {name: thread_groups(self.pids[name]) for name in self.by_thread})
            )
        if len(self.samples) % self.scan_every == 1:
            self.scans.append((now, every_process()))

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)

    def per_second(self, wall_start: float, seconds: int) -> list[dict[str, Any]]:
        """For each whole second from ``wall_start``: CPU ms of each process and of the
        machine (``machine``: every core, ``others``: what the listed processes did not
        use), and the most runnable tasks seen in a sample."""
        rows: list[dict[str, Any]] = []
        for second in range(seconds):
            begin, end = wall_start + second, wall_start + second + 1
            inside = [s for s in self.samples if begin <= s[0] <= end]
            before = [s for s in self.samples if s[0] < begin]
            if not inside or not before:
                rows.append({"second": second})
                continue
            first, last = before[-1], inside[-1]
            scale = 1000 / (last[0] - first[0])  # ms per second
            row: dict[str, Any] = {
                name: round(scale * (last[1][name] - first[1][name]), 1) for name in self.pids
            }
            row["machine"] = round(scale * (last[2] - first[2]), 1)
            row["others"] = round(row["machine"] - sum(row[name] for name in self.pids), 1)
            row["runnable_max"] = max(s[3] for s in inside)
            rows.append({"second": second, **row})
        return rows

    def threads_in(self, begin: float, end: float, top: int = 5) -> dict[str, dict[str, float]]:
        """CPU ms per second of the busiest thread groups of each ``by_thread`` process."""
        inside = [s for s in self.threads if begin <= s[0] <= end]
        before = [s for s in self.threads if s[0] < begin]
        if not inside or not before:
            return {}
        first, last = before[-1], inside[-1]
        scale = 1000 / (last[0] - first[0])
        found: dict[str, dict[str, float]] = {}
        for name in self.by_thread:
            spent = {
                group: scale * (cpu - first[1][name].get(group, 0.0))
                for group, cpu in last[1][name].items()
            }
            busiest = sorted(spent.items(), key=lambda item: -item[1])[:top]
            found[name] = {group: round(ms, 1) for group, ms in busiest if ms > 0}
        return found

    def others_in(self, begin: float, end: float, top: int = 4) -> dict[str, float]:
        """CPU ms per second of the busiest processes not listed, over the scans around
        ``begin``-``end`` (every ``scan_every`` samples, so a coarser window)."""
        inside = [s for s in self.scans if begin <= s[0] <= end + self.interval_s * self.scan_every]
        before = [s for s in self.scans if s[0] < begin]
        if not inside or not before:
            return {}
        first, last = before[-1], inside[-1]
        scale = 1000 / (last[0] - first[0])
        ours = set(self.pids.values())
        spent: dict[str, float] = {}
        for pid, (name, cpu) in last[1].items():
            if pid in ours:
                continue
            earlier = first[1].get(pid)
            # A kernel worker renames itself with its work: the pid is what stays.
            delta = cpu - (earlier[1] if earlier else 0.0)
            if delta > 0:
                key = f"{name}[{pid}]"
                spent[key] = spent.get(key, 0.0) + scale * delta
        busiest = sorted(spent.items(), key=lambda item: -item[1])[:top]
        return {name: round(ms, 1) for name, ms in busiest}


async def command_timelines(pids: Mapping[str, int], count_dir: Path) -> dict[str, dict[str, Any]]:
    """Each service's store commands by tenth of a wall-clock second and its slow commands
    (``bench/counted.py``), as its last SIGUSR2 left them (``store_commands`` sends it)."""
    return {name: json.loads((count_dir / f"{name}.timeline.json").read_text()) for name in pids}


def commands_in(timeline: Mapping[str, Any], begin: float, end: float) -> dict[str, int]:
    """The commands a service sent between two wall-clock times, by name and collection."""
    total: dict[str, int] = {}
    for tenth, counts in timeline["sent"].items():
        if begin <= int(tenth) / 10 < end:
            for what, n in counts.items():
                total[what] = total.get(what, 0) + n
    return total
