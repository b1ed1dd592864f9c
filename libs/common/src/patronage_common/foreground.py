"""Background work that gives way to the work people wait for.

A consumer that rewrites many documents (the passport service's search indexer, the
requests service's read models) competes for the same two cores and the same store as the
HTTP requests in flight and the help requests being routed. While the service serves any
(``Foreground``: its HTTP requests, and work marked with ``Foreground.serving``), such a
consumer pauses after each step in proportion to it (``Foreground.pace``), so it takes a
bounded share of the machine and the foreground keeps its latency; when none is served, it
runs at full speed and catches up.
"""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

Pace = Callable[[float], Awaitable[None]]
"""Awaited by paced background work after each step, with the seconds the step took."""

QUIET_AFTER_S = 0.05
"""How long after its last request a service still counts as busy: requests that follow
one another (a curator's form, an import) leave gaps of a few milliseconds."""


class Foreground:
    """How many HTTP requests (and other foreground work) the process is serving, and since
    when it serves none.

    A streaming response counts as in flight for as long as it streams: work that paces
    itself by it belongs in a service without long-lived responses (the passport and
    requests services have none; the gateway's live streams would keep its ``Foreground``
    busy).
    """

    def __init__(
        self,
        *,
        quiet_after_s: float = QUIET_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._quiet_after_s = quiet_after_s
        self._clock = clock
        self._in_flight = 0
        self._last_end = -float("inf")

    def started(self) -> None:
        """A request came in."""
        self._in_flight += 1

    def ended(self) -> None:
        """A request was answered (or failed)."""
        self._in_flight -= 1
        self._last_end = self._clock()

    @property
    def in_flight(self) -> int:
        """How many requests (and pieces of foreground work) are being served now."""
        return self._in_flight

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Count the work inside as foreground too (a batch of intake commands: requests
        that wait for it as a person waits for an HTTP answer)."""
        self.started()
        try:
            yield
        finally:
            self.ended()

    def busy(self) -> bool:
        """Whether a request is in flight, or one ended less than ``quiet_after_s`` ago."""
        return self._in_flight > 0 or self._clock() - self._last_end < self._quiet_after_s

    def pause_for(self, worked_s: float, ratio: float) -> float:
        """Seconds background work that just took ``worked_s`` should pause: ``ratio``
        times as long while the process is busy (it then takes at most 1 / (1 + ratio) of
        the time), none while it is not."""
        return worked_s * ratio if ratio > 0 and self.busy() else 0.0

    async def pace(self, worked_s: float, ratio: float) -> None:
        """Pause as ``pause_for`` says."""
        if pause := self.pause_for(worked_s, ratio):
            await asyncio.sleep(pause)

    def pacer(self, ratio: float) -> Pace | None:
        """``pace`` at ``ratio`` for a piece of background work; None for a ratio of 0 or
        less (the setting that turns pacing off)."""
        if ratio <= 0:
            return None
        return functools.partial(self.pace, ratio=ratio)


class ForegroundMiddleware:
    """ASGI middleware counting the app's HTTP requests in ``foreground`` (health and
    readiness probes included: they are rare and short)."""

    def __init__(self, app: ASGIApp, foreground: Foreground) -> None:
        self.app = app
        self.foreground = foreground

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.foreground.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.foreground.ended()
