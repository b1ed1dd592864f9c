"""Background work that gives way to the HTTP requests its service is serving.

A consumer that rewrites many documents (the passport service's search indexer) competes
for the same two cores and the same store as the requests in flight: each of its write
round trips costs the store tens of milliseconds of CPU. While requests are being served,
it pauses after each round trip in proportion to it (``Foreground.pace``), so it takes a
bounded share of the machine and the requests keep their latency; when none are, it runs
at full speed and catches up.
"""

import asyncio
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

QUIET_AFTER_S = 0.05
"""How long after its last request a service still counts as busy: requests that follow
one another (a curator's form, an import) leave gaps of a few milliseconds."""


class Foreground:
    """How many HTTP requests the process is serving, and since when it serves none.

    A streaming response counts as in flight for as long as it streams: work that paces
    itself by it belongs in a service without long-lived responses (the passport service
    has none; the gateway's live streams would keep its ``Foreground`` busy).
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
