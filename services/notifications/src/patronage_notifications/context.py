"""What the notifications service holds besides the common runtime: rules, channels, clock."""

from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Request
from faststream import Context
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import NotificationChannel

from .bus import BatchPublisher
from .clock import Clock
from .delivery.channels import Channel
from .delivery.live import LiveHub
from .delivery.logs import PagedLogs
from .notifications.rules import Rulebook
from .notifications.templates import Templates
from .settings import NotificationsSettings

NOTIFIER_CONTEXT_KEY = "notifier"


@dataclass
class Notifier:
    """The service's parts: bound to the runtime when the app starts."""

    settings: NotificationsSettings
    clock: Clock
    rulebook: Rulebook
    templates: Templates
    hub: LiveHub
    channels: dict[NotificationChannel, Channel] = field(default_factory=dict)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10.0))
    logs: PagedLogs = field(default_factory=PagedLogs)
    bus: BatchPublisher = field(init=False)
    contact_cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _runtime: ServiceRuntime | None = None

    @property
    def runtime(self) -> ServiceRuntime:
        """The live runtime (store, broker, outbox)."""
        if self._runtime is None:
            raise RuntimeError("the notifier is used before the service started")
        return self._runtime

    def __post_init__(self) -> None:
        self.bus = BatchPublisher(self.settings)

    def bind(self, runtime: ServiceRuntime) -> None:
        """Attach the runtime once the app's lifespan created it."""
        self._runtime = runtime

    @property
    def zone(self) -> ZoneInfo:
        """The region's time zone (quiet hours)."""
        return ZoneInfo(self.settings.region_timezone)


def get_notifier(request: Request) -> Notifier:
    """The notifier of the app serving this HTTP request."""
    notifier: Notifier = request.app.state.notifier
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]
"""FastAPI dependency: the notifier."""

HandlerNotifier = Annotated[Notifier, Context(NOTIFIER_CONTEXT_KEY)]
"""FastStream dependency: the notifier, in a subscriber."""
