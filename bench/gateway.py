"""The gateway at load: a passport page and the passport API read by 200 concurrent users.

The passport service and the gateway run as their own processes against the real Kafka and
store; this process plays the users (each its own session cookie or bearer token, all
curators reading their own families). Every read goes the whole way: session look-up,
signed identity, the passport service's scoped read, the audit entry, the page rendered.
Targets on this machine: p99 ≤ 100 ms for the page, ≤ 30 ms for the API.
"""

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import cpu_seconds, percentile, running_services, wait_ready  # noqa: E402

PREFIX = "benchgw."
CURATOR = "cur-elets-1"
PASSWORD = "demo-pass-1"  # the demo account's


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
) -> dict[str, float]:
    """Every user reads random paths back to back for ``seconds``; latency percentiles."""
    samples: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users))
    async with httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as http:

        async def user(credentials: dict[str, Any]) -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.get(random.choice(paths), **credentials)
                except httpx.HTTPError:
                    errors += 1
                    continue
                samples.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.monotonic()
        await asyncio.gather(*(user(u) for u in users))
        elapsed = time.monotonic() - started
    return {
        "reads": len(samples),
        "errors": errors,
        "per_s": len(samples) / elapsed,
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from patronage_devinfra.resolver import resolve

    results: dict[str, Any] = {"users": args.users, "seconds": args.seconds}
    with resolve() as infra:
        results["store"] = f"{infra.kind} ({infra.store_backend})"
        database_prefix = f"benchgw{random.randint(0, 10**6)}"
        with running_services(
            infra,
            ("passport", "gateway"),
            topic_prefix=PREFIX,
            database_prefix=database_prefix,
            extra_env={"INBOX_AGENCIES": ""},
        ) as (urls, pids):
            for url in urls.values():
                await wait_ready(url)
            families = await register_families(urls["passport"], args.families)
            cookie = await session_cookie(urls["gateway"])
            token = await bearer(urls["gateway"])
            # One session per user would only add logins; the reads are what is measured.
            page_users = [{"cookies": cookie}] * args.users
            api_users = [{"headers": token}] * args.users
            warm = [f"/families/{f}" for f in families]
            await load(urls["gateway"], warm, page_users[:10], 2.0)
            api = [f"/api/passports/{f}" for f in families]
            for phase, paths, users in (("page", warm, page_users), ("api", api, api_users)):
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                figures: dict[str, Any] = await load(urls["gateway"], paths, users, args.seconds)
                for name, pid in pids.items():
                    spent = cpu_seconds(pid) - before[name]
                    figures[f"{name}_cpu_ms_per_read"] = 1000 * spent / max(1, figures["reads"])
                results[phase] = figures
                print(f"{phase}: {figures}", flush=True)
            results["load_average"] = os.getloadavg()[0]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--families", type=int, default=50)
    args = parser.parse_args()
    results = asyncio.run(run(args))

    def rounded(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return round(value, 2) if isinstance(value, float) else value

    results = rounded(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / f"gateway-{args.users}-users.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
