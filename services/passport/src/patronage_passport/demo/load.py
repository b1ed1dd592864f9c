"""Posts generated families to a running passport service, with bounded concurrency."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

import httpx

from .generator import generate_families

ACTOR = "demo-loader"
_SAMPLES = 5


@dataclass
class LoadReport:
    """What happened to the families posted."""

    total: int
    created: int = 0
    refused: int = 0
    failed: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    refusals: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Families answered so far, whatever the answer."""
        return self.created + self.refused + self.failed

    @property
    def ok(self) -> bool:
        """No server errors and no connection errors."""
        return self.failed == 0

    def summary(self) -> str:
        """A few lines for people."""
        rate = self.done / self.seconds if self.seconds else 0.0
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        lines = [
            f"families: {self.total}, created: {self.created}, refused: {self.refused}, "
            f"failed: {self.failed} in {self.seconds:.1f} s ({rate:.0f}/s)",
            f"statuses: {statuses or '-'}",
        ]
        lines += [f"  refused: {text}" for text in self.refusals]
        lines += [f"  failed: {text}" for text in self.failures]
        return "\n".join(lines)


async def load_families(
    url: str,
    count: int,
    *,
    seed: int = 1,
    concurrency: int = 16,
    progress: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    request_timeout: float = 30.0,
) -> LoadReport:
    """Generate ``count`` families and ``POST {url}/passports`` each as ``demo-loader``."""
    report = LoadReport(total=count)
    families = generate_families(count, seed=seed)
    line = _ProgressLine(report, sys.stderr) if progress else None
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=url.rstrip("/"),
        headers={"X-Actor": ACTOR},
        timeout=request_timeout,
        transport=transport,
        limits=httpx.Limits(max_connections=concurrency),
    ) as client:

        async def worker() -> None:
            # Workers share one generator: next() never awaits, so they cannot interleave.
            for family in families:
                await _post(client, family.model_dump(mode="json"), report)
                report.seconds = time.monotonic() - started
                if line is not None:
                    line.update()

        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    report.seconds = time.monotonic() - started
    if line is not None:
        line.finish()
    return report


async def _post(client: httpx.AsyncClient, payload: dict[str, object], report: LoadReport) -> None:
    try:
        response = await client.post("/passports", json=payload)
    except httpx.HTTPError as exc:
        report.failed += 1
        _sample(report.failures, f"{type(exc).__name__}: {exc}")
        return
    report.statuses[response.status_code] += 1
    if response.is_success:
        report.created += 1
    elif response.is_client_error:
        report.refused += 1
        _sample(report.refusals, f"{response.status_code} {response.text[:300]}")
    else:
        report.failed += 1
        _sample(report.failures, f"{response.status_code} {response.text[:300]}")


def _sample(samples: list[str], text: str) -> None:
    if len(samples) < _SAMPLES:
        samples.append(text)


class _ProgressLine:
    """A progress line rewritten in place, at most ten times a second."""

    def __init__(self, report: LoadReport, stream: TextIO) -> None:
        self._report = report
        self._stream = stream
        self._shown = 0.0

    def update(self) -> None:
        now = time.monotonic()
        if now - self._shown >= 0.1 or self._report.done == self._report.total:
            self._shown = now
            self._write()

    def finish(self) -> None:
        self._write()
        self._stream.write("\n")
        self._stream.flush()

    def _write(self) -> None:
        r = self._report
        share = r.done / r.total if r.total else 1.0
        rate = r.done / r.seconds if r.seconds else 0.0
        self._stream.write(
            f"\r{r.done}/{r.total} ({share:4.0%}) created {r.created}, refused {r.refused}, "
            f"failed {r.failed}, {rate:.0f}/s "
        )
        self._stream.flush()
